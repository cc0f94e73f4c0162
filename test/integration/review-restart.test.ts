// Acceptance 2 of issue 6: open reviews live in the file context store, so a stop and start of
// Node-RED loses none, and a deadline set before the restart fires after it at its own time.
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/ports';
import { readOutputs, reviewFlow, reviewRuntime } from '../helpers/review-flow';

const TIMEOUT_S = 10;

interface Pending {
  total: number;
  items: { id: string; expiresAt: number | null; node: { id: string } }[];
}

describe('Human Review across a Node-RED restart (file context store)', function () {
  this.timeout(120_000);
  const red = reviewRuntime({ flows: reviewFlow([{ id: 'gate', config: {} }, { id: 'timed', config: { timeout: TIMEOUT_S, timeoutUnit: 's', timeoutOutcome: 'reject' } }]) });
  let beforeRestart: Pending;
  let afterRestart: Pending;
  let timedExpiresAt = 0;
  let restartedAt = 0;

  const pending = async (): Promise<Pending> => (await red.request('GET', '/llmops-review/pending?limit=1000')).json as Pending;
  const post = (body: object) => red.request('POST', '/llmops-test/review', body);

  before(async () => {
    await red.start();
    for (let i = 0; i < 20; i++) {
      await post({ node: 'gate', payload: { unit: 'CDU-1', flowLpm: 300 + i }, inputData: { unit: 'CDU-1', flowLpm: 300 }, topic: `r${i}` });
    }
    await post({ node: 'timed', payload: { unit: 'CDU-2', flowLpm: 280 }, inputData: { unit: 'CDU-2', flowLpm: 260 } });
    beforeRestart = await waitFor('21 open reviews', async () => {
      const p = await pending();
      return p.total === 21 ? p : undefined;
    });
    timedExpiresAt = beforeRestart.items.find((i) => i.node.id === 'timed')!.expiresAt!;
    await red.restart();
    restartedAt = Date.now();
    afterRestart = await pending();
  });

  after(async () => {
    await red.dispose();
  });

  it('restarted before the timed review was due (precondition of this test)', () => {
    assert.ok(restartedAt < timedExpiresAt, `restart took too long: ${restartedAt} >= ${timedExpiresAt}`);
  });

  it('still has all 20 reviews pending after the restart', () => {
    const ids = (p: Pending) => p.items.filter((i) => i.node.id === 'gate').map((i) => i.id);
    assert.equal(ids(afterRestart).length, 20);
    assert.deepEqual(ids(afterRestart), ids(beforeRestart));
  });

  it('keeps the stored deadline of the timed review', () => {
    assert.equal(afterRestart.items.find((i) => i.node.id === 'timed')?.expiresAt, timedExpiresAt);
  });

  it('releases a review approved after the restart on output 1', async () => {
    const id = afterRestart.items.find((i) => i.node.id === 'gate')!.id;
    const res = await red.request('POST', `/llmops-review/${id}/decision`, { decision: 'approve' });
    assert.equal(res.status, 200);
    const line = await waitFor('the approved review on an output', () => readOutputs(red.userDir).find((l) => l.review.id === id), 10_000);
    assert.equal(line.port, 1);
    assert.equal(line.node, 'gate');
    assert.deepEqual(line.payload, { unit: 'CDU-1', flowLpm: 300 });
    assert.equal((await pending()).items.filter((i) => i.node.id === 'gate').length, 19);
  });

  it('fires the timeout set before the restart at its deadline, not a full timeout after the restart', async () => {
    const line = await waitFor('the timed review to expire', () => readOutputs(red.userDir).find((l) => l.node === 'timed'), 40_000);
    assert.equal(line.port, 2);
    assert.equal(line.review.auto, 'timeout');
    assert.ok(line.review.decidedAt >= timedExpiresAt, 'fired before its deadline');
    assert.ok(line.review.decidedAt > restartedAt, 'fired before the restart');
    assert.ok(line.review.decidedAt < restartedAt + TIMEOUT_S * 1000, 'the timer started again from the restart');
    assert.deepEqual(line.review.history.map((h) => h.event), ['created', 'expired', 'decided']);
  });

  it('keeps open reviews when the node is redeployed with changed settings', async () => {
    const flows = (await red.request('GET', '/flows')).json as { id: string; name?: string }[];
    const gate = flows.find((n) => n.id === 'gate')!;
    gate.name = 'gate (renamed)';
    const res = await red.request('POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'nodes' });
    assert.equal(res.status, 204);
    const p = await waitFor('the redeployed node', async () => {
      const q = (await red.request('GET', '/llmops-review/pending?node=gate')).json as Pending & { items: { node: { name: string } }[] };
      return q.items[0]?.node.name === 'gate (renamed)' ? q : undefined;
    }, 10_000);
    assert.equal(p.total, 19);
  });
});
