// The auto-approve rule: an action is low-risk when each numeric value it sets moves by less
// than a fraction of the value it replaces (a setpoint change under 5 %, say). The rule is
// deliberately conservative: a value with no baseline to compare with, or an output with no
// numeric value at all, is not low-risk, so a person sees it.

import { flatten, valueAt } from './diff';
import type { AutoApprovePolicy } from './types';

export interface FieldRisk {
  path: string;
  from: unknown;
  to: unknown;
  /** |to - from| / |from|; `null` when it cannot be computed. */
  relativeChange: number | null;
  ok: boolean;
}

export interface RiskAssessment {
  lowRisk: boolean;
  reason: string;
  fields: FieldRisk[];
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

export function assessRisk(payload: unknown, baseline: unknown, rule: AutoApprovePolicy): RiskAssessment {
  const paths =
    rule.fields && rule.fields.length > 0
      ? rule.fields
      : [...flatten(payload)].filter(([, v]) => isFiniteNumber(v)).map(([p]) => p);
  if (paths.length === 0) {
    return { lowRisk: false, reason: 'no numeric value to compare', fields: [] };
  }
  const fields: FieldRisk[] = paths.map((path) => {
    const to = valueAt(payload, path);
    const from = valueAt(baseline, path);
    if (!isFiniteNumber(to) || !isFiniteNumber(from)) {
      return { path, from, to, relativeChange: null, ok: false };
    }
    const relativeChange = from === 0 ? (to === 0 ? 0 : Infinity) : Math.abs(to - from) / Math.abs(from);
    return { path, from, to, relativeChange, ok: relativeChange < rule.maxRelativeChange };
  });
  const bad = fields.filter((f) => !f.ok);
  const pct = `${+(rule.maxRelativeChange * 100).toFixed(3)} %`;
  if (bad.length === 0) {
    return { lowRisk: true, reason: `every change under ${pct}`, fields };
  }
  const first = bad[0];
  const why =
    first.relativeChange === null
      ? `${first.path} has no numeric baseline`
      : `${first.path} changes by ${+(first.relativeChange * 100).toFixed(2)} % (limit ${pct})`;
  return { lowRisk: false, reason: why, fields };
}
