// The edit dialog's fields as a review policy. Numbers arrive as strings from the dialog; a
// value that cannot be read falls back to the safe choice (one approval, no timeout, reject).
import { DEFAULT_POLICY, type ReviewPolicy, type TimeoutOutcome } from '../../core/review';

export interface PolicyFields {
  approvals?: string | number;
  checklist?: unknown;
  timeout?: string | number;
  timeoutUnit?: string;
  timeoutOutcome?: string;
  requireReason?: boolean;
  autoApprove?: boolean;
  autoMaxChange?: string | number;
  autoFields?: string;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000, h: 3_600_000 };

export function policyFromConfig(def: PolicyFields): ReviewPolicy {
  const approvals = Math.floor(Number(def.approvals));
  const timeout = Number(def.timeout);
  const timeoutMs = Number.isFinite(timeout) && timeout > 0 ? Math.round(timeout * (UNIT_MS[def.timeoutUnit ?? 's'] ?? 1000)) : 0;
  const outcome: TimeoutOutcome = def.timeoutOutcome === 'escalate' || def.timeoutOutcome === 'approve' ? def.timeoutOutcome : 'reject';
  const checklist = Array.isArray(def.checklist)
    ? def.checklist.map((c) => String(c).trim()).filter((c) => c !== '')
    : [];
  const maxChange = Number(def.autoMaxChange);
  return {
    ...DEFAULT_POLICY,
    approvalsRequired: Number.isFinite(approvals) && approvals >= 1 ? approvals : 1,
    checklist: [...new Set(checklist)],
    timeoutMs,
    timeoutOutcome: outcome,
    requireRejectReason: def.requireReason !== false,
    autoApprove:
      def.autoApprove === true && Number.isFinite(maxChange) && maxChange > 0
        ? {
            maxRelativeChange: maxChange / 100,
            fields: (def.autoFields ?? '')
              .split(',')
              .map((f) => f.trim())
              .filter((f) => f !== ''),
          }
        : null,
  };
}
