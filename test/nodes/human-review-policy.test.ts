import assert from 'node:assert/strict';
import { policyFromConfig } from '../../nodes/human-review/policy-config';

describe('llmops-human-review dialog → review policy', () => {
  it('reads the timeout in the chosen unit', () => {
    assert.equal(policyFromConfig({ timeout: '2', timeoutUnit: 'min' }).timeoutMs, 120_000);
    assert.equal(policyFromConfig({ timeout: 0.5, timeoutUnit: 's' }).timeoutMs, 500);
  });

  it('has no timeout when it is empty, 0 or unreadable', () => {
    for (const timeout of ['', 0, 'soon', -5]) assert.equal(policyFromConfig({ timeout }).timeoutMs, 0);
  });

  it('approves on timeout only when approve is chosen; anything unknown rejects', () => {
    assert.equal(policyFromConfig({ timeoutOutcome: 'approve' }).timeoutOutcome, 'approve');
    assert.equal(policyFromConfig({ timeoutOutcome: 'escalate' }).timeoutOutcome, 'escalate');
    assert.equal(policyFromConfig({ timeoutOutcome: 'APPROVE' }).timeoutOutcome, 'reject');
    assert.equal(policyFromConfig({}).timeoutOutcome, 'reject');
  });

  it('needs at least one approval', () => {
    assert.equal(policyFromConfig({ approvals: '0' }).approvalsRequired, 1);
    assert.equal(policyFromConfig({ approvals: 'x' }).approvalsRequired, 1);
    assert.equal(policyFromConfig({ approvals: '3' }).approvalsRequired, 3);
  });

  it('keeps checklist labels trimmed, without blanks or repeats', () => {
    assert.deepEqual(policyFromConfig({ checklist: [' limits ', '', 'limits', 'input'] }).checklist, ['limits', 'input']);
  });

  it('turns the auto-approve percentage into a fraction with the listed fields', () => {
    assert.deepEqual(policyFromConfig({ autoApprove: true, autoMaxChange: '5', autoFields: 'flowLpm, supplyTempC' }).autoApprove, {
      maxRelativeChange: 0.05,
      fields: ['flowLpm', 'supplyTempC'],
    });
  });

  it('leaves auto-approve off unless it is ticked with a positive limit', () => {
    assert.equal(policyFromConfig({ autoApprove: false, autoMaxChange: 5 }).autoApprove, null);
    assert.equal(policyFromConfig({ autoApprove: true, autoMaxChange: 0 }).autoApprove, null);
  });

  it('requires a rejection reason unless it is unticked', () => {
    assert.equal(policyFromConfig({}).requireRejectReason, true);
    assert.equal(policyFromConfig({ requireReason: false }).requireRejectReason, false);
  });
});
