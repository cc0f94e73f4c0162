import assert from 'node:assert/strict';
import {
  DEFAULT_POLICY,
  decide,
  expire,
  openReview,
  type DecisionResult,
  type PartialApproval,
  type Recheck,
  type Released,
  type ReviewItem,
  type ReviewPolicy,
} from '../../../core/review';

const T0 = 1_700_000_000_000;
const policy = (p: Partial<ReviewPolicy> = {}): ReviewPolicy => ({ ...DEFAULT_POLICY, ...p });
const draft = {
  payload: { unit: 'CDU-1', flowLpm: 320 },
  inputData: { unit: 'CDU-1', flowLpm: 305 },
  verification: { match: true, score: 1, summary: '2 of 2 fields match' },
  carry: { topic: 'cdu' },
};
const open = (p = policy()): ReviewItem => openReview(draft, p, T0, 'r1').item;

function released(r: DecisionResult): Released {
  assert.equal(r.kind, 'released', r.kind === 'refused' ? r.reason : r.kind);
  return r as Released;
}
function partial(r: DecisionResult): PartialApproval {
  assert.equal(r.kind, 'partial', r.kind === 'refused' ? r.reason : r.kind);
  return r as PartialApproval;
}
function refusedCode(r: DecisionResult): string {
  assert.equal(r.kind, 'refused');
  return (r as { code: string }).code;
}

describe('review rules', () => {
  describe('opening a review', () => {
    it('keeps output, input, verification and the other msg properties, pending', () => {
      const item = open();
      assert.equal(item.status, 'pending');
      assert.deepEqual(item.payload, draft.payload);
      assert.deepEqual(item.originalPayload, draft.payload);
      assert.deepEqual(item.inputData, draft.inputData);
      assert.deepEqual(item.verification, draft.verification);
      assert.deepEqual(item.carry, { topic: 'cdu' });
      assert.deepEqual(item.history.map((h) => h.event), ['created']);
    });

    it('sets expiresAt from the timeout', () => {
      assert.equal(open(policy({ timeoutMs: 60_000 })).expiresAt, T0 + 60_000);
    });

    it('never expires when the timeout is 0', () => {
      assert.equal(open(policy({ timeoutMs: 0 })).expiresAt, null);
    });
  });

  describe('approve', () => {
    it('releases on output 1 with the reviewer, time and checklist', () => {
      const p = policy({ checklist: ['setpoint within limits', 'values match the input'] });
      const r = released(
        decide(open(p), { id: 'r1', decision: 'approve', reviewer: 'ana', checklist: ['setpoint within limits', 'values match the input'] }, p, T0 + 5),
      );
      assert.equal(r.release.port, 1);
      assert.equal(r.release.review.decision, 'approve');
      assert.equal(r.release.review.reviewer, 'ana');
      assert.equal(r.release.review.decidedAt, T0 + 5);
      assert.deepEqual(r.release.review.checklist, { 'setpoint within limits': true, 'values match the input': true });
      assert.equal(r.release.item.status, 'approved');
      assert.deepEqual(r.release.item.payload, draft.payload);
    });

    it('does not count when the checklist is not fully ticked', () => {
      const p = policy({ checklist: ['setpoint within limits', 'values match the input'] });
      const r = decide(open(p), { id: 'r1', decision: 'approve', reviewer: 'ana', checklist: ['setpoint within limits'] }, p, T0);
      assert.equal(refusedCode(r), 'checklist-incomplete');
      assert.match((r as { reason: string }).reason, /values match the input/);
    });

    it('reads ticks given as {label: true}', () => {
      const p = policy({ checklist: ['a', 'b'] });
      const r = decide(open(p), { id: 'r1', decision: 'approve', reviewer: 'ana', checklist: { a: true, b: true } }, p, T0);
      released(r);
    });

    it('does not read {label: false} as ticked', () => {
      const p = policy({ checklist: ['a', 'b'] });
      const r = decide(open(p), { id: 'r1', decision: 'approve', reviewer: 'ana', checklist: { a: true, b: false } }, p, T0);
      assert.equal(refusedCode(r), 'checklist-incomplete');
    });

    it('records an approval without a reviewer as anonymous', () => {
      const r = released(decide(open(), { id: 'r1', decision: 'approve' }, policy(), T0));
      assert.equal(r.release.review.reviewer, 'anonymous');
    });

    it('refuses reviewer names reserved for the system', () => {
      assert.equal(refusedCode(decide(open(), { id: 'r1', decision: 'approve', reviewer: 'system:timeout' }, policy(), T0)), 'reviewer-reserved');
    });
  });

  describe('four-eyes (N approvals from distinct reviewers)', () => {
    const p = policy({ approvalsRequired: 2 });

    it('holds the review after the first approval and records approved-partial', () => {
      const r = partial(decide(open(p), { id: 'r1', decision: 'approve', reviewer: 'ana' }, p, T0));
      assert.equal(r.approvals, 1);
      assert.equal(r.required, 2);
      assert.equal(r.item.status, 'pending');
      assert.equal(r.item.history.at(-1)?.event, 'approved-partial');
    });

    it('counts the same reviewer twice once', () => {
      const first = partial(decide(open(p), { id: 'r1', decision: 'approve', reviewer: 'ana' }, p, T0));
      const again = decide(first.item, { id: 'r1', decision: 'approve', reviewer: 'ana' }, p, T0 + 1);
      assert.equal(refusedCode(again), 'duplicate-reviewer');
    });

    it('counts two anonymous approvals once', () => {
      const first = partial(decide(open(p), { id: 'r1', decision: 'approve' }, p, T0));
      assert.equal(refusedCode(decide(first.item, { id: 'r1', decision: 'approve', reviewer: ' ' }, p, T0)), 'duplicate-reviewer');
    });

    it('releases after a second, distinct reviewer with both approvals listed', () => {
      const first = partial(decide(open(p), { id: 'r1', decision: 'approve', reviewer: 'ana' }, p, T0));
      const r = released(decide(first.item, { id: 'r1', decision: 'approve', reviewer: 'ben' }, p, T0 + 1));
      assert.equal(r.release.port, 1);
      assert.deepEqual(r.release.review.approvals.map((a) => a.reviewer), ['ana', 'ben']);
      assert.equal(r.release.review.reviewer, 'ben');
    });

    it('lets one reviewer veto with a rejection', () => {
      const first = partial(decide(open(p), { id: 'r1', decision: 'approve', reviewer: 'ana' }, p, T0));
      const r = released(decide(first.item, { id: 'r1', decision: 'reject', reviewer: 'ben', comment: 'flow too high' }, p, T0));
      assert.equal(r.release.port, 2);
    });
  });

  describe('reject', () => {
    it('releases on output 2 with the reason', () => {
      const r = released(decide(open(), { id: 'r1', decision: 'reject', reviewer: 'ana', comment: 'wrong unit' }, policy(), T0));
      assert.equal(r.release.port, 2);
      assert.equal(r.release.review.decision, 'reject');
      assert.equal(r.release.review.comment, 'wrong unit');
      assert.equal(r.release.item.status, 'rejected');
      assert.equal(r.release.item.history.at(-1)?.event, 'decided');
    });

    it('needs a reason', () => {
      assert.equal(refusedCode(decide(open(), { id: 'r1', decision: 'reject', reviewer: 'ana' }, policy(), T0)), 'reason-required');
    });

    it('goes without a reason when the policy allows it', () => {
      released(decide(open(), { id: 'r1', decision: 'reject', reviewer: 'ana' }, policy({ requireRejectReason: false }), T0));
    });

    it('does not need the checklist', () => {
      const p = policy({ checklist: ['a'] });
      released(decide(open(p), { id: 'r1', decision: 'reject', reviewer: 'ana', comment: 'no' }, p, T0));
    });
  });

  describe('edit', () => {
    const edited = { unit: 'CDU-1', flowLpm: 310 };

    it('releases the edited output with the edits listed', () => {
      const r = released(decide(open(), { id: 'r1', decision: 'edit', reviewer: 'ana', payload: edited }, policy(), T0));
      assert.equal(r.release.review.decision, 'edit');
      assert.deepEqual(r.release.item.payload, edited);
      assert.deepEqual(r.release.review.edits, [{ path: 'flowLpm', kind: 'changed', from: 320, to: 310 }]);
      assert.equal(r.release.item.history.some((h) => h.event === 'edited'), true);
    });

    it('is refused when the edited output fails re-verification, leaving the review as it was', () => {
      const recheck: Recheck = (out) =>
        (out as { unit: string }).unit === 'CDU-1' ? { match: true, summary: 'ok' } : { match: false, summary: 'unit: expected CDU-1, got CDU-9' };
      const r = decide(open(), { id: 'r1', decision: 'edit', reviewer: 'ana', payload: { unit: 'CDU-9', flowLpm: 310 } }, policy(), T0, recheck);
      assert.equal(refusedCode(r), 'recheck-failed');
      assert.match((r as { reason: string }).reason, /CDU-9/);
    });

    it('passes the edited output and its own item to the re-check', () => {
      let seen: unknown[] = [];
      const recheck: Recheck = (out, item) => {
        seen = [out, item.id];
        return { match: true, summary: 'ok' };
      };
      decide(open(), { id: 'r1', decision: 'edit', reviewer: 'ana', payload: edited }, policy(), T0, recheck);
      assert.deepEqual(seen, [edited, 'r1']);
    });

    it('replaces the verification with the re-check of the edit', () => {
      const recheck: Recheck = () => ({ match: true, summary: 'rechecked: 2 of 2' });
      const r = released(decide(open(), { id: 'r1', decision: 'edit', reviewer: 'ana', payload: edited }, policy(), T0, recheck));
      assert.equal(r.release.item.verification?.summary, 'rechecked: 2 of 2');
      assert.equal(r.release.review.recheck?.match, true);
    });

    it('goes out unchecked when the re-check has no rules (returns undefined)', () => {
      released(decide(open(), { id: 'r1', decision: 'edit', reviewer: 'ana', payload: edited }, policy(), T0, () => undefined));
    });

    it('needs the edited payload', () => {
      assert.equal(refusedCode(decide(open(), { id: 'r1', decision: 'edit', reviewer: 'ana' }, policy(), T0)), 'payload-required');
    });

    it('needs the checklist like an approval', () => {
      const p = policy({ checklist: ['a'] });
      assert.equal(refusedCode(decide(open(p), { id: 'r1', decision: 'edit', reviewer: 'ana', payload: edited }, p, T0)), 'checklist-incomplete');
    });

    it('clears approvals given to the output before it was edited', () => {
      const p = policy({ approvalsRequired: 2 });
      const first = partial(decide(open(p), { id: 'r1', decision: 'approve', reviewer: 'ana' }, p, T0));
      const r = partial(decide(first.item, { id: 'r1', decision: 'edit', reviewer: 'ben', payload: edited }, p, T0 + 1));
      assert.deepEqual(r.item.approvals.map((a) => a.reviewer), ['ben']);
      const ev = r.item.history.find((h) => h.event === 'edited');
      assert.deepEqual((ev?.detail as { clearedApprovals: string[] }).clearedApprovals, ['ana']);
    });

    it('counts an edit that changes nothing as an approval', () => {
      const r = released(decide(open(), { id: 'r1', decision: 'edit', reviewer: 'ana', payload: draft.payload }, policy(), T0));
      assert.equal(r.release.review.decision, 'approve');
    });
  });

  describe('refusals', () => {
    it('refuses an unknown decision', () => {
      assert.equal(refusedCode(decide(open(), { id: 'r1', decision: 'maybe' }, policy(), T0)), 'unknown-decision');
    });

    it('refuses a decision on a settled review', () => {
      const closed = released(decide(open(), { id: 'r1', decision: 'approve' }, policy(), T0)).release.item;
      assert.equal(refusedCode(decide(closed, { id: 'r1', decision: 'approve', reviewer: 'ben' }, policy(), T0)), 'not-open');
    });
  });

  describe('timeout', () => {
    it('rejects on output 2 by default, marked as expired', () => {
      const p = policy({ timeoutMs: 1000 });
      const r = expire(open(p), p, T0 + 1000);
      assert.equal(r.kind, 'released');
      assert.equal(r.release.port, 2);
      assert.equal(r.release.item.status, 'expired');
      assert.equal(r.release.review.auto, 'timeout');
      assert.deepEqual(r.release.item.history.map((h) => h.event), ['created', 'expired', 'decided']);
    });

    it('escalates on output 3 and keeps the review open without a deadline', () => {
      const p = policy({ timeoutMs: 1000, timeoutOutcome: 'escalate' });
      const r = expire(open(p), p, T0 + 1000);
      assert.equal(r.kind, 'escalated');
      assert.equal(r.release.port, 3);
      assert.equal(r.release.review.decision, 'escalate');
      assert.equal(r.release.item.status, 'escalated');
      assert.equal(r.release.item.expiresAt, null);
      assert.deepEqual(r.release.item.history.map((h) => h.event), ['created', 'expired', 'escalated']);
    });

    it('lets an escalated review still be decided', () => {
      const p = policy({ timeoutMs: 1000, timeoutOutcome: 'escalate' });
      const esc = expire(open(p), p, T0 + 1000);
      released(decide(esc.release.item, { id: 'r1', decision: 'approve', reviewer: 'chief' }, p, T0 + 2000));
    });

    it('approves on output 1 only when the policy names approve', () => {
      const p = policy({ timeoutMs: 1000, timeoutOutcome: 'approve' });
      const r = expire(open(p), p, T0 + 1000);
      assert.equal(r.release.port, 1);
      assert.equal(r.release.review.reviewer, 'system:timeout');
      assert.equal(r.release.review.auto, 'timeout');
    });
  });

  describe('auto-approve', () => {
    const p = policy({ autoApprove: { maxRelativeChange: 0.05 } });
    const small = { payload: { flowLpm: 310 }, inputData: { flowLpm: 305 }, verification: { match: true } };

    it('releases a verified change under 5 % at once, recorded as auto-approved', () => {
      const r = openReview(small, p, T0, 'a1');
      assert.equal(r.release?.port, 1);
      assert.equal(r.release?.review.auto, 'auto-approve');
      assert.equal(r.release?.review.reviewer, 'system:auto-approve');
      assert.deepEqual(r.item.history.map((h) => h.event), ['created', 'decided']);
    });

    it('holds a change of 5 % or more for a person, saying why', () => {
      const r = openReview({ ...small, payload: { flowLpm: 320.25 } }, p, T0, 'a1');
      assert.equal(r.release, undefined);
      assert.match(JSON.stringify(r.item.history[0].detail), /flowLpm changes by 5/);
    });

    it('holds an output that was not verified as matching', () => {
      const r = openReview({ ...small, verification: { match: false } }, p, T0, 'a1');
      assert.equal(r.release, undefined);
    });

    it('holds an output with no verification at all', () => {
      const r = openReview({ ...small, verification: null }, p, T0, 'a1');
      assert.equal(r.release, undefined);
    });

    it('compares with the baseline when one is given instead of the input', () => {
      const r = openReview({ ...small, payload: { flowLpm: 400 }, baseline: { flowLpm: 399 } }, p, T0, 'a1');
      assert.equal(r.release?.port, 1);
    });

    it('is off unless the policy enables it', () => {
      assert.equal(openReview(small, policy(), T0, 'a1').release, undefined);
    });
  });
});
