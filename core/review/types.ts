// The shapes a review passes through: what is stored while a person looks at it, what a
// person sends back, and what leaves the node when it is settled. Everything here is plain
// JSON so that any key-value store (a Node-RED context store included) can keep it.

/** What the IO Matcher says about the output (`msg.verification`), or a re-check of an edit. */
export interface Verification {
  match: boolean;
  score?: number;
  summary?: string;
  fields?: unknown[];
  [more: string]: unknown;
}

/** The answer of the injected re-check for an edited output. */
export interface RecheckResult {
  match: boolean;
  summary: string;
  [more: string]: unknown;
}

/**
 * Checks an edited output with the same field rules that verified the original. Returns
 * `undefined` when there is nothing to check against (the msg carried no rules).
 */
export type Recheck = (edited: unknown, item: ReviewItem) => RecheckResult | undefined;

export type ReviewStatus = 'pending' | 'escalated' | 'approved' | 'rejected' | 'expired';

export type DecisionKind = 'approve' | 'edit' | 'reject';

/** The decision a reviewer sends (`msg.review` on input, or the admin API body). */
export interface DecisionInput {
  id: string;
  decision: DecisionKind | string;
  payload?: unknown;
  comment?: string;
  /** Ticked items: a list of labels, or `{label: true}`. */
  checklist?: string[] | Record<string, boolean>;
  reviewer?: string;
}

/** One field changed by an edit (or one difference between two documents). */
export interface FieldChange {
  path: string;
  kind: 'changed' | 'added' | 'removed';
  from?: unknown;
  to?: unknown;
}

export interface Approval {
  reviewer: string;
  at: number;
  checklist: Record<string, boolean>;
  comment?: string;
  edited?: boolean;
}

export type HistoryEventName =
  | 'created'
  | 'approved-partial'
  | 'edited'
  | 'decided'
  | 'expired'
  | 'escalated';

export interface HistoryEvent {
  at: number;
  event: HistoryEventName;
  by?: string;
  decision?: string;
  comment?: string;
  detail?: unknown;
}

/** A review while it is open. `payload` is the output to act on, as it stands now. */
export interface ReviewItem {
  id: string;
  createdAt: number;
  /** Epoch ms; `null` when the review never times out (or has been escalated). */
  expiresAt: number | null;
  payload: unknown;
  /** The output as the model wrote it, before any edit. */
  originalPayload: unknown;
  inputData: unknown;
  verification: Verification | null;
  /** The field rules the output was verified with, kept to re-check an edit. */
  matchRules?: unknown;
  /** What auto-approval compares a proposed value with (the current setpoint, say). */
  baseline?: unknown;
  /** Other msg properties, handed back unchanged when the review is settled. */
  carry: Record<string, unknown>;
  status: ReviewStatus;
  approvals: Approval[];
  edits: FieldChange[];
  history: HistoryEvent[];
}

export type TimeoutOutcome = 'reject' | 'escalate' | 'approve';

export interface AutoApprovePolicy {
  /** A numeric field may change by less than this fraction of its baseline (0.05 = 5 %). */
  maxRelativeChange: number;
  /** Paths of the fields to compare; all numeric fields of the output when empty. */
  fields?: string[];
}

export interface ReviewPolicy {
  /** Approvals from distinct reviewers needed before release (four-eyes = 2). */
  approvalsRequired: number;
  /** Labels that must all be ticked for an approval to count. */
  checklist: string[];
  /** 0 = no timeout. */
  timeoutMs: number;
  timeoutOutcome: TimeoutOutcome;
  /** Reject needs a reason (comment). */
  requireRejectReason: boolean;
  autoApprove?: AutoApprovePolicy | null;
}

export const DEFAULT_POLICY: ReviewPolicy = {
  approvalsRequired: 1,
  checklist: [],
  timeoutMs: 0,
  timeoutOutcome: 'reject',
  requireRejectReason: true,
  autoApprove: null,
};

/** The port a settled review leaves by: 1 approved, 2 rejected, 3 expired or escalated. */
export type OutputPort = 1 | 2 | 3;

/** `msg.review` on the way out. */
export interface ReviewOutcome {
  id: string;
  decision: 'approve' | 'reject' | 'edit' | 'escalate' | 'expire';
  reviewer: string;
  decidedAt: number;
  comment: string;
  edits: FieldChange[];
  checklist: Record<string, boolean>;
  approvals: Approval[];
  history: HistoryEvent[];
  status: ReviewStatus;
  /** Set when no person decided: `'auto-approve'` or `'timeout'`. */
  auto?: 'auto-approve' | 'timeout';
  /** Set when an edit was re-checked. */
  recheck?: RecheckResult;
}

/** A review leaving the desk through one of the three ports. */
export interface Release {
  port: OutputPort;
  item: ReviewItem;
  review: ReviewOutcome;
}

/** Reserved reviewer names for decisions no person took. */
export const SYSTEM_REVIEWER = {
  auto: 'system:auto-approve',
  timeout: 'system:timeout',
  anonymous: 'anonymous',
} as const;
