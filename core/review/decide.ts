// The review's rules as pure functions: open a review (or auto-approve it), apply a person's
// decision, settle a review whose time ran out. Each takes the item and returns a new one;
// nothing here keeps state, reads a clock or writes anywhere, so every rule is testable alone.

import { missingTicks, readTicks } from './checklist';
import { diff } from './diff';
import { assessRisk } from './low-risk';
import {
  SYSTEM_REVIEWER,
  type Approval,
  type DecisionInput,
  type HistoryEvent,
  type Recheck,
  type RecheckResult,
  type Release,
  type ReviewItem,
  type ReviewOutcome,
  type ReviewPolicy,
  type Verification,
} from './types';

/** What the node hands over when a msg arrives for review. */
export interface ReviewDraft {
  payload: unknown;
  inputData?: unknown;
  verification?: Verification | null;
  matchRules?: unknown;
  baseline?: unknown;
  carry?: Record<string, unknown>;
}

export type RefusalCode =
  | 'unknown-review'
  | 'not-open'
  | 'unknown-decision'
  | 'reviewer-reserved'
  | 'checklist-incomplete'
  | 'duplicate-reviewer'
  | 'reason-required'
  | 'payload-required'
  | 'recheck-failed';

/** A decision that did not count; the review is unchanged. */
export interface Refusal {
  kind: 'refused';
  code: RefusalCode;
  reason: string;
  recheck?: RecheckResult;
}

/** An approval that counted but more distinct reviewers are needed. */
export interface PartialApproval {
  kind: 'partial';
  item: ReviewItem;
  approvals: number;
  required: number;
}

export interface Released {
  kind: 'released';
  release: Release;
}

/** Time ran out and the review was handed up (output 3); it stays open for a decision. */
export interface Escalated {
  kind: 'escalated';
  item: ReviewItem;
  release: Release;
}

export type DecisionResult = Refusal | PartialApproval | Released;

const refuse = (code: RefusalCode, reason: string, recheck?: RecheckResult): Refusal => ({
  kind: 'refused',
  code,
  reason,
  ...(recheck ? { recheck } : {}),
});

function withEvent(item: ReviewItem, ...events: HistoryEvent[]): ReviewItem {
  return { ...item, history: [...item.history, ...events] };
}

function outcome(
  item: ReviewItem,
  fields: Pick<ReviewOutcome, 'decision' | 'reviewer' | 'decidedAt'> & Partial<ReviewOutcome>,
): ReviewOutcome {
  const last = item.approvals[item.approvals.length - 1];
  return {
    id: item.id,
    comment: '',
    edits: item.edits,
    checklist: last ? last.checklist : {},
    approvals: item.approvals,
    history: item.history,
    status: item.status,
    ...fields,
  };
}

/** A new review; released at once (output 1) when the auto-approve rule holds. */
export function openReview(
  draft: ReviewDraft,
  policy: ReviewPolicy,
  now: number,
  id: string,
): { item: ReviewItem; release?: Release } {
  const base: ReviewItem = {
    id,
    createdAt: now,
    expiresAt: policy.timeoutMs > 0 ? now + policy.timeoutMs : null,
    payload: draft.payload,
    originalPayload: draft.payload,
    inputData: draft.inputData ?? null,
    verification: draft.verification ?? null,
    ...(draft.matchRules !== undefined ? { matchRules: draft.matchRules } : {}),
    ...(draft.baseline !== undefined ? { baseline: draft.baseline } : {}),
    carry: draft.carry ?? {},
    status: 'pending',
    approvals: [],
    edits: [],
    history: [],
  };

  if (!policy.autoApprove) {
    return { item: withEvent(base, { at: now, event: 'created' }) };
  }
  if (base.verification?.match !== true) {
    const created = withEvent(base, {
      at: now,
      event: 'created',
      detail: { autoApprove: 'not applied: the output was not verified as matching its input' },
    });
    return { item: created };
  }
  const risk = assessRisk(base.payload, base.baseline ?? base.inputData, policy.autoApprove);
  if (!risk.lowRisk) {
    return { item: withEvent(base, { at: now, event: 'created', detail: { autoApprove: `not applied: ${risk.reason}` } }) };
  }
  const item: ReviewItem = {
    ...withEvent(
      base,
      { at: now, event: 'created' },
      { at: now, event: 'decided', by: SYSTEM_REVIEWER.auto, decision: 'approve', detail: { rule: risk.reason, fields: risk.fields } },
    ),
    status: 'approved',
    expiresAt: null,
  };
  const review = outcome(item, {
    decision: 'approve',
    reviewer: SYSTEM_REVIEWER.auto,
    decidedAt: now,
    comment: `auto-approved: ${risk.reason}`,
    auto: 'auto-approve',
  });
  return { item, release: { port: 1, item, review } };
}

function reviewerOf(input: DecisionInput): string {
  const r = typeof input.reviewer === 'string' ? input.reviewer.trim() : '';
  return r === '' ? SYSTEM_REVIEWER.anonymous : r;
}

function isOpen(item: ReviewItem): boolean {
  return item.status === 'pending' || item.status === 'escalated';
}

/** Applies one person's decision to an open review. */
export function decide(
  item: ReviewItem,
  input: DecisionInput,
  policy: ReviewPolicy,
  now: number,
  recheck?: Recheck,
): DecisionResult {
  if (!isOpen(item)) return refuse('not-open', `review ${item.id} is ${item.status}`);
  const reviewer = reviewerOf(input);
  if (reviewer.startsWith('system:')) return refuse('reviewer-reserved', `reviewer name ${reviewer} is reserved`);
  const comment = typeof input.comment === 'string' ? input.comment.trim() : '';

  switch (input.decision) {
    case 'reject':
      return reject(item, reviewer, comment, policy, now);
    case 'approve':
      return approve(item, reviewer, comment, input, policy, now);
    case 'edit':
      return edit(item, reviewer, comment, input, policy, now, recheck);
    default:
      return refuse('unknown-decision', `decision must be approve, edit or reject, not ${String(input.decision)}`);
  }
}

function reject(item: ReviewItem, reviewer: string, comment: string, policy: ReviewPolicy, now: number): DecisionResult {
  if (policy.requireRejectReason && comment === '') return refuse('reason-required', 'a rejection needs a reason');
  const closed: ReviewItem = {
    ...withEvent(item, { at: now, event: 'decided', by: reviewer, decision: 'reject', comment }),
    status: 'rejected',
    expiresAt: null,
  };
  const review = outcome(closed, { decision: 'reject', reviewer, decidedAt: now, comment, checklist: {} });
  return { kind: 'released', release: { port: 2, item: closed, review } };
}

function checkedApproval(
  reviewer: string,
  comment: string,
  input: DecisionInput,
  policy: ReviewPolicy,
  now: number,
  edited: boolean,
): Approval | Refusal {
  const checklist = readTicks(policy.checklist, input.checklist);
  const missing = missingTicks(checklist);
  if (missing.length > 0) return refuse('checklist-incomplete', `checklist not complete: ${missing.join('; ')}`);
  return { reviewer, at: now, checklist, ...(comment ? { comment } : {}), ...(edited ? { edited } : {}) };
}

/** Adds an approval and releases the review once enough distinct reviewers approved. */
function count(
  item: ReviewItem,
  approval: Approval,
  decision: 'approve' | 'edit',
  policy: ReviewPolicy,
  now: number,
  recheck?: RecheckResult,
): DecisionResult {
  const approvals = [...item.approvals, approval];
  const required = Math.max(1, Math.floor(policy.approvalsRequired));
  if (approvals.length < required) {
    const partial = withEvent(
      { ...item, approvals },
      { at: now, event: 'approved-partial', by: approval.reviewer, decision, detail: { approvals: approvals.length, required } },
    );
    return { kind: 'partial', item: partial, approvals: approvals.length, required };
  }
  const closed: ReviewItem = {
    ...withEvent(
      { ...item, approvals },
      { at: now, event: 'decided', by: approval.reviewer, decision, ...(approval.comment ? { comment: approval.comment } : {}) },
    ),
    status: 'approved',
    expiresAt: null,
  };
  const review = outcome(closed, {
    decision,
    reviewer: approval.reviewer,
    decidedAt: now,
    comment: approval.comment ?? '',
    ...(recheck ? { recheck } : {}),
  });
  return { kind: 'released', release: { port: 1, item: closed, review } };
}

function approve(
  item: ReviewItem,
  reviewer: string,
  comment: string,
  input: DecisionInput,
  policy: ReviewPolicy,
  now: number,
): DecisionResult {
  // Four-eyes means distinct people: a second approval by the same reviewer adds nothing.
  if (item.approvals.some((a) => a.reviewer === reviewer)) {
    return refuse('duplicate-reviewer', `${reviewer} has already approved; another reviewer must approve`);
  }
  const approval = checkedApproval(reviewer, comment, input, policy, now, false);
  if ('kind' in approval) return approval;
  return count(item, approval, 'approve', policy, now);
}

function edit(
  item: ReviewItem,
  reviewer: string,
  comment: string,
  input: DecisionInput,
  policy: ReviewPolicy,
  now: number,
  recheck?: Recheck,
): DecisionResult {
  if (input.payload === undefined) return refuse('payload-required', 'an edit needs the edited payload');
  const changes = diff(item.payload, input.payload);
  if (changes.length === 0) return approve(item, reviewer, comment, input, policy, now);

  const approval = checkedApproval(reviewer, comment, input, policy, now, true);
  if ('kind' in approval) return approval;
  // The edited output passes the same field rules as the model's, or it does not go out.
  const checked = recheck ? recheck(input.payload, item) : undefined;
  if (checked && !checked.match) {
    return refuse('recheck-failed', `the edited output fails verification: ${checked.summary}`, checked);
  }
  // Approvals were given to the output as it was; after an edit they no longer vouch for it.
  const cleared = item.approvals.map((a) => a.reviewer);
  const edited: ReviewItem = withEvent(
    {
      ...item,
      payload: input.payload,
      edits: diff(item.originalPayload, input.payload),
      approvals: [],
      verification: checked ? { ...checked, rechecked: true } : item.verification,
    },
    {
      at: now,
      event: 'edited',
      by: reviewer,
      ...(comment ? { comment } : {}),
      detail: { changes, ...(cleared.length ? { clearedApprovals: cleared } : {}), ...(checked ? { recheck: checked } : {}) },
    },
  );
  return count(edited, approval, 'edit', policy, now, checked);
}

/** Settles a review whose time ran out, by the outcome the policy names. */
export function expire(item: ReviewItem, policy: ReviewPolicy, now: number): Released | Escalated {
  const expired = withEvent(item, { at: now, event: 'expired', detail: { expiresAt: item.expiresAt, outcome: policy.timeoutOutcome } });
  const reviewer = SYSTEM_REVIEWER.timeout;
  switch (policy.timeoutOutcome) {
    case 'escalate': {
      // Handed up, not closed: whoever receives output 3 can still decide it.
      const open: ReviewItem = { ...withEvent(expired, { at: now, event: 'escalated', by: reviewer }), status: 'escalated', expiresAt: null };
      const review = outcome(open, { decision: 'escalate', reviewer, decidedAt: now, comment: 'timed out: escalated', auto: 'timeout' });
      return { kind: 'escalated', item: open, release: { port: 3, item: open, review } };
    }
    case 'approve': {
      const closed: ReviewItem = {
        ...withEvent(expired, { at: now, event: 'decided', by: reviewer, decision: 'approve' }),
        status: 'approved',
        expiresAt: null,
      };
      const review = outcome(closed, { decision: 'approve', reviewer, decidedAt: now, comment: 'timed out: approved by policy', auto: 'timeout' });
      return { kind: 'released', release: { port: 1, item: closed, review } };
    }
    case 'reject':
    default: {
      const closed: ReviewItem = {
        ...withEvent(expired, { at: now, event: 'decided', by: reviewer, decision: 'reject' }),
        status: 'expired',
        expiresAt: null,
      };
      const review = outcome(closed, { decision: 'reject', reviewer, decidedAt: now, comment: 'timed out: rejected', auto: 'timeout', checklist: {} });
      return { kind: 'released', release: { port: 2, item: closed, review } };
    }
  }
}
