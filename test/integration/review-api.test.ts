// Acceptance 3 of issue 6: the reviewers' admin API under adminAuth. Reading needs the
// llmops-review.read permission, deciding llmops-review.write; the reviewer is the logged-in user.
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/ports';
import { readOutputs, reviewFlow, reviewRuntime } from '../helpers/review-flow';

describe('Human Review admin API with adminAuth', function () {
  this.timeout(60_000);
  const red = reviewRuntime({
    flows: reviewFlow([{ id: 'gate', config: { approvals: 1 } }]),
    users: [
      { username: 'viewer', password: 'viewer-pass', permissions: 'read' },
      { username: 'ops', password: 'ops-pass', permissions: '*' },
      { username: 'reviewer', password: 'reviewer-pass', permissions: ['read', 'llmops-review.write'] },
    ],
  });
  let viewer = '';
  let ops = '';
  let reviewer = '';

  const submit = async (): Promise<string> => {
    const known = new Set(((await list(ops)).items as { id: string }[]).map((i) => i.id));
    await red.request('POST', '/llmops-test/review', { node: 'gate', payload: { flowLpm: 320 }, inputData: { flowLpm: 305 } });
    return waitFor('a new review', async () => ((await list(ops)).items as { id: string }[]).find((i) => !known.has(i.id))?.id, 10_000);
  };
  const as = (token?: string): Record<string, string> => (token ? { authorization: `Bearer ${token}` } : {});
  const list = async (token?: string) => (await red.request('GET', '/llmops-review/pending', undefined, as(token))).json as { total: number; items: unknown[] };
  const decide = (id: string, token?: string, body: object = { decision: 'approve' }) => red.request('POST', `/llmops-review/${id}/decision`, body, as(token));

  before(async () => {
    await red.start();
    [viewer, ops, reviewer] = await Promise.all([red.login('viewer', 'viewer-pass'), red.login('ops', 'ops-pass'), red.login('reviewer', 'reviewer-pass')]);
  });

  after(async () => {
    await red.dispose();
  });

  it('refuses to list reviews without a token (401)', async () => {
    assert.equal((await red.request('GET', '/llmops-review/pending')).status, 401);
  });

  it('lists reviews for a user with read permission', async () => {
    const id = await submit();
    const res = await red.request('GET', '/llmops-review/pending', undefined, as(viewer));
    assert.equal(res.status, 200);
    assert.ok((res.json as { items: { id: string }[] }).items.some((i) => i.id === id));
  });

  it('refuses a decision without a token (401) and leaves the review open', async () => {
    const id = await submit();
    assert.equal((await decide(id)).status, 401);
    assert.ok(((await list(ops)).items as { id: string }[]).some((i) => i.id === id));
  });

  it('refuses a decision from a read-only user (403) and leaves the review open', async () => {
    const id = await submit();
    assert.equal((await decide(id, viewer)).status, 403);
    assert.ok(((await list(ops)).items as { id: string }[]).some((i) => i.id === id));
  });

  it('accepts a decision with write permission and records the logged-in user as reviewer', async () => {
    const id = await submit();
    const res = await decide(id, ops, { decision: 'approve', reviewer: 'someone-else' });
    assert.equal(res.status, 200);
    assert.equal((res.json as { review: { reviewer: string } }).review.reviewer, 'ops');
    const line = await waitFor('the released review', () => readOutputs(red.userDir).find((l) => l.review.id === id), 10_000);
    assert.equal(line.port, 1);
    assert.equal(line.review.reviewer, 'ops');
    assert.equal(line.review.history.at(-1)?.event, 'decided');
  });

  it('accepts a decision from a user granted only llmops-review.write beside read', async () => {
    const id = await submit();
    const res = await decide(id, reviewer, { decision: 'reject', comment: 'flow above the CDU limit' });
    assert.equal(res.status, 200);
    const line = await waitFor('the rejected review', () => readOutputs(red.userDir).find((l) => l.review.id === id), 10_000);
    assert.equal(line.port, 2);
    assert.equal(line.review.reviewer, 'reviewer');
  });

  it('answers 404 for a review that is not open', async () => {
    assert.equal((await decide('no-such-review', ops)).status, 404);
  });
});
