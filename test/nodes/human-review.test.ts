import assert from 'node:assert/strict';
import type { Node, NodeAPI, NodeMessage } from 'node-red';
import reviewNode from '../../nodes/human-review/human-review';

// The test helper ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const helper = require('node-red-node-test-helper') as any;
helper.init(require.resolve('node-red'));

type Msg = NodeMessage & { review?: any; topic?: string };
type TestNode = Node & { receive(msg: object): void };

/** A stand-in for the llmops-influxdb config node that records the audit points. */
const auditPoints: any[] = [];
function fakeInflux(RED: NodeAPI) {
  RED.nodes.registerType('llmops-influxdb', function (this: Node & { writePoints: unknown }, def: any) {
    RED.nodes.createNode(this, def);
    this.writePoints = (points: unknown[]) => {
      auditPoints.push(...points);
      return points.length;
    };
  });
}

function flow(config: Record<string, unknown> = {}) {
  return [
    { id: 'f1', type: 'tab' },
    { id: 'rv', z: 'f1', type: 'llmops-human-review', name: 'gate', store: '', approvals: 1, checklist: [], timeout: 0, timeoutUnit: 's', timeoutOutcome: 'reject', requireReason: true, autoApprove: false, autoMaxChange: 5, autoFields: '', influx: '', wires: [['out1'], ['out2'], ['out3']], ...config },
    { id: 'out1', z: 'f1', type: 'helper' },
    { id: 'out2', z: 'f1', type: 'helper' },
    { id: 'out3', z: 'f1', type: 'helper' },
  ];
}

interface Outputs {
  rv: TestNode;
  got: Record<1 | 2 | 3, Msg[]>;
  next(port: 1 | 2 | 3): Promise<Msg>;
  errors: string[];
}

async function load(config: Record<string, unknown> = {}, extra: object[] = []): Promise<Outputs> {
  await helper.load([reviewNode, fakeInflux] as any, [...flow(config), ...extra]);
  const rv = helper.getNode('rv') as TestNode;
  const got: Outputs['got'] = { 1: [], 2: [], 3: [] };
  const waiters: Record<number, ((m: Msg) => void)[]> = { 1: [], 2: [], 3: [] };
  const errors: string[] = [];
  for (const port of [1, 2, 3] as const) {
    helper.getNode(`out${port}`).on('input', (m: Msg) => {
      got[port].push(m);
      waiters[port].shift()?.(m);
    });
  }
  (rv as any).on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
  const next = (port: 1 | 2 | 3) =>
    got[port].length > 0 ? Promise.resolve(got[port].shift()!) : new Promise<Msg>((res) => waiters[port].push((m) => (got[port].shift(), res(m))));
  return { rv, got, next, errors };
}

const proposal = { unit: 'CDU-1', flowLpm: 320 };
const input = { unit: 'CDU-1', flowLpm: 305 };
const verified = { match: true, score: 1, summary: '2 of 2 fields match' };

async function pending(): Promise<any[]> {
  const res = await helper.request().get('/llmops-review/pending').expect(200);
  return res.body.items;
}

/** Sends a msg for review and returns its id. */
async function submit(rv: TestNode, msg: object = {}): Promise<string> {
  const before = new Set((await pending()).map((i) => i.id));
  rv.receive({ payload: proposal, inputData: input, verification: verified, topic: 'cdu/flow', ...msg });
  for (let i = 0; i < 100; i++) {
    const fresh = (await pending()).find((it) => !before.has(it.id));
    if (fresh) return fresh.id;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('review did not open');
}

/** Waits until the node has handled what it was sent (decisions are applied after load). */
const settle = () => new Promise((r) => setTimeout(r, 30));

describe('llmops-human-review node', () => {
  afterEach(async () => {
    await helper.unload();
    auditPoints.length = 0;
  });

  it('holds an incoming msg as a pending review and sends nothing', async () => {
    const { rv, got } = await load();
    const id = await submit(rv);
    const [item] = await pending();
    assert.equal(item.id, id);
    assert.deepEqual(item.payload, proposal);
    assert.deepEqual(item.inputData, input);
    assert.deepEqual(item.verification, verified);
    assert.deepEqual(item.diff, [{ path: 'flowLpm', kind: 'changed', from: 305, to: 320 }]);
    assert.equal(got[1].length + got[2].length + got[3].length, 0);
  });

  it('releases an approved review on output 1 with msg.review and the original msg properties', async () => {
    const { rv, next } = await load();
    const id = await submit(rv);
    rv.receive({ review: { id, decision: 'approve', reviewer: 'ana', comment: 'ok' } });
    const out = await next(1);
    assert.deepEqual(out.payload, proposal);
    assert.equal(out.topic, 'cdu/flow');
    assert.equal(out.review.id, id);
    assert.equal(out.review.decision, 'approve');
    assert.equal(out.review.reviewer, 'ana');
    assert.equal(out.review.comment, 'ok');
    assert.equal(typeof out.review.decidedAt, 'number');
    assert.deepEqual(out.review.edits, []);
    assert.deepEqual(out.review.approvals.map((a: any) => a.reviewer), ['ana']);
    assert.deepEqual(out.review.history.map((h: any) => h.event), ['created', 'decided']);
    assert.deepEqual(await pending(), []);
  });

  it('sends a rejected review on output 2 with its reason', async () => {
    const { rv, next } = await load();
    const id = await submit(rv);
    rv.receive({ review: { id, decision: 'reject', reviewer: 'ana', comment: 'flow too high for CDU-1' } });
    const out = await next(2);
    assert.equal(out.review.decision, 'reject');
    assert.equal(out.review.comment, 'flow too high for CDU-1');
  });

  it('refuses a rejection without a reason and keeps the review', async () => {
    const { rv, got, errors } = await load();
    const id = await submit(rv);
    rv.receive({ review: { id, decision: 'reject', reviewer: 'ana' } });
    await settle();
    assert.equal(got[2].length, 0);
    assert.match(errors.join(), /needs a reason/);
    assert.equal((await pending()).length, 1);
  });

  it('releases an edited output on output 1 with the edits listed', async () => {
    const { rv, next } = await load();
    const id = await submit(rv);
    rv.receive({ review: { id, decision: 'edit', reviewer: 'ana', payload: { unit: 'CDU-1', flowLpm: 310 } } });
    const out = await next(1);
    assert.deepEqual(out.payload, { unit: 'CDU-1', flowLpm: 310 });
    assert.equal(out.review.decision, 'edit');
    assert.deepEqual(out.review.edits, [{ path: 'flowLpm', kind: 'changed', from: 320, to: 310 }]);
  });

  it('refuses an edit that fails re-verification against the msg\'s field rules', async () => {
    const { rv, got, errors } = await load();
    const id = await submit(rv, { matchRules: [{ field: 'unit', type: 'text' }] });
    rv.receive({ review: { id, decision: 'edit', reviewer: 'ana', payload: { unit: 'CDU-9', flowLpm: 305 } } });
    await settle();
    assert.equal(got[1].length, 0);
    assert.match(errors.join(), /fails verification/);
    const [item] = await pending();
    assert.deepEqual(item.payload, proposal);
  });

  it('releases an edit that passes re-verification, with the re-check on msg.review and msg.verification', async () => {
    const { rv, next } = await load();
    const id = await submit(rv, { matchRules: [{ field: 'unit', type: 'text' }] });
    rv.receive({ review: { id, decision: 'edit', reviewer: 'ana', payload: { unit: 'CDU-1', flowLpm: 305 } } });
    const out = await next(1);
    assert.equal(out.review.recheck.match, true);
    assert.equal((out as any).verification.rechecked, true);
    assert.equal((out as any).verification.match, true);
  });

  it('does not count an approval whose checklist is not fully ticked', async () => {
    const { rv, got, errors } = await load({ checklist: ['setpoint within limits', 'values match the input'] });
    const id = await submit(rv);
    rv.receive({ review: { id, decision: 'approve', reviewer: 'ana', checklist: ['setpoint within limits'] } });
    await settle();
    assert.equal(got[1].length, 0);
    assert.match(errors.join(), /checklist not complete: values match the input/);
  });

  it('counts an approval with the whole checklist ticked and reports it', async () => {
    const { rv, next } = await load({ checklist: ['setpoint within limits', 'values match the input'] });
    const id = await submit(rv);
    rv.receive({ review: { id, decision: 'approve', reviewer: 'ana', checklist: { 'setpoint within limits': true, 'values match the input': true } } });
    const out = await next(1);
    assert.deepEqual(out.review.checklist, { 'setpoint within limits': true, 'values match the input': true });
  });

  it('needs two distinct reviewers under four-eyes; the same reviewer twice counts once', async () => {
    const { rv, got, next, errors } = await load({ approvals: 2 });
    const id = await submit(rv);
    rv.receive({ review: { id, decision: 'approve', reviewer: 'ana' } });
    rv.receive({ review: { id, decision: 'approve', reviewer: 'ana' } });
    await settle();
    assert.equal(got[1].length, 0);
    assert.match(errors.join(), /ana has already approved/);
    assert.equal((await pending())[0].approvals.length, 1);
    rv.receive({ review: { id, decision: 'approve', reviewer: 'ben' } });
    const out = await next(1);
    assert.deepEqual(out.review.approvals.map((a: any) => a.reviewer), ['ana', 'ben']);
    assert.deepEqual(out.review.history.map((h: any) => h.event), ['created', 'approved-partial', 'decided']);
  });

  it('rejects on output 2 when the timeout passes with outcome reject', async () => {
    const { rv, next } = await load({ timeout: 0.1, timeoutUnit: 's', timeoutOutcome: 'reject' });
    const id = await submit(rv);
    const out = await next(2);
    assert.equal(out.review.id, id);
    assert.equal(out.review.auto, 'timeout');
    assert.equal(out.review.status, 'expired');
    assert.ok(out.review.decidedAt >= out.review.history[0].at + 100);
  });

  it('escalates on output 3 when the timeout passes with outcome escalate, and keeps the review open', async () => {
    const { rv, next } = await load({ timeout: 0.1, timeoutUnit: 's', timeoutOutcome: 'escalate' });
    const id = await submit(rv);
    const out = await next(3);
    assert.equal(out.review.decision, 'escalate');
    const [item] = await pending();
    assert.equal(item.id, id);
    assert.equal(item.status, 'escalated');
    rv.receive({ review: { id, decision: 'approve', reviewer: 'chief' } });
    assert.equal((await next(1)).review.reviewer, 'chief');
  });

  it('approves on output 1 when the timeout passes with outcome approve', async () => {
    const { rv, next } = await load({ timeout: 0.1, timeoutUnit: 's', timeoutOutcome: 'approve' });
    await submit(rv);
    const out = await next(1);
    assert.equal(out.review.reviewer, 'system:timeout');
    assert.equal(out.review.auto, 'timeout');
  });

  it('auto-approves a verified change under the limit at once, recorded as such', async () => {
    const { rv, next } = await load({ autoApprove: true, autoMaxChange: 5 });
    rv.receive({ payload: { flowLpm: 310 }, inputData: { flowLpm: 305 }, verification: verified, topic: 't' });
    const out = await next(1);
    assert.equal(out.review.auto, 'auto-approve');
    assert.equal(out.review.reviewer, 'system:auto-approve');
    assert.equal(out.topic, 't');
    assert.deepEqual(await pending(), []);
  });

  it('holds a verified change over the auto-approve limit for a person', async () => {
    const { rv, got } = await load({ autoApprove: true, autoMaxChange: 5 });
    await submit(rv, { payload: { flowLpm: 330 }, inputData: { flowLpm: 305 } });
    assert.equal(got[1].length, 0);
  });

  it('opens a new review for a msg already approved by an upstream Human Review node, keeping that verdict', async () => {
    const { rv, next } = await load();
    const upstream = { id: 'up-1', decision: 'approve', reviewer: 'ana', decidedAt: 1, history: [] };
    const id = await submit(rv, { review: upstream });
    rv.receive({ review: { id, decision: 'approve', reviewer: 'ben' } });
    const out = await next(1);
    assert.equal(out.review.reviewer, 'ben');
    assert.deepEqual((out as any).previousReview, upstream);
  });

  it('reports an unknown review id as an error', async () => {
    const { rv, errors } = await load();
    rv.receive({ review: { id: 'nope', decision: 'approve' } });
    await settle();
    assert.match(errors.join(), /no open review with id nope/);
  });

  it('takes a decision over the admin API and releases the review', async () => {
    const { rv, next } = await load();
    const id = await submit(rv);
    const res = await helper.request().post(`/llmops-review/${id}/decision`).send({ decision: 'approve', reviewer: 'mallory' }).expect(200);
    assert.equal(res.body.outcome, 'released');
    const out = await next(1);
    // Without adminAuth there is no logged-in user; a name in the body is not trusted.
    assert.equal(out.review.reviewer, 'anonymous');
  });

  it('answers a refused API decision with the reason', async () => {
    const { rv } = await load({ checklist: ['a'] });
    const id = await submit(rv);
    const res = await helper.request().post(`/llmops-review/${id}/decision`).send({ decision: 'approve' }).expect(422);
    assert.equal(res.body.code, 'checklist-incomplete');
  });

  it('writes each state change as an audit event to the InfluxDB config node', async () => {
    const { rv, next } = await load({ influx: 'db' }, [{ id: 'db', z: 'f1', type: 'llmops-influxdb' }]);
    const id = await submit(rv);
    rv.receive({ review: { id, decision: 'approve', reviewer: 'ana' } });
    await next(1);
    assert.deepEqual(auditPoints.map((p) => [p.measurement, p.tags.event, p.fields.id]), [
      ['review_audit', 'created', id],
      ['review_audit', 'decided', id],
    ]);
    assert.equal(auditPoints[1].fields.by, 'ana');
  });

  describe('output 4: the open reviews', () => {
    /** Loads the node with the list output wired to a helper; resolves the list msgs as they come. */
    async function loadWithList() {
      const o = await load({ listOutput: true, outputs: 4, wires: [['out1'], ['out2'], ['out3'], ['out4']] }, [{ id: 'out4', z: 'f1', type: 'helper' }]);
      const lists: Msg[] = [];
      const waiters: Array<(m: Msg) => void> = [];
      helper.getNode('out4').on('input', (m: Msg) => {
        lists.push(m);
        waiters.shift()?.(m);
      });
      const nextList = () => new Promise<Msg>((res) => waiters.push(res));
      return { ...o, lists, nextList };
    }

    it('sends the open reviews in the admin API shape when one opens and when it is decided', async () => {
      const { rv, nextList } = await loadWithList();
      await nextList(); // the empty list at start
      rv.receive({ payload: proposal, inputData: input, verification: verified });
      const opened: any = await nextList();
      assert.equal(opened.topic, 'reviews');
      assert.equal(opened.payload.total, 1);
      const item = opened.payload.items[0];
      assert.deepEqual([item.payload, item.inputData, item.verification], [proposal, input, verified]);
      assert.deepEqual(item.node, { id: 'rv', name: 'gate', checklist: [], approvalsRequired: 1 });
      assert.deepEqual(item, (await pending())[0]);
      rv.receive({ review: { id: item.id, decision: 'approve', reviewer: 'ana' } });
      const after = await nextList();
      assert.deepEqual(after.payload, { total: 0, offset: 0, items: [] });
    });

    it('sends no list unless asked for', async () => {
      const { rv, next } = await load({ wires: [['out1'], ['out2'], ['out3'], ['out4']] }, [{ id: 'out4', z: 'f1', type: 'helper' }]);
      const lists: Msg[] = [];
      helper.getNode('out4').on('input', (m: Msg) => lists.push(m));
      const id = await submit(rv);
      rv.receive({ review: { id, decision: 'approve', reviewer: 'ana' } });
      await next(1);
      // Past the 200 ms the list waits to gather changes.
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(lists, []);
    });
  });
});
