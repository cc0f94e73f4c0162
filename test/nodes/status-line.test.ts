import { strict as assert } from 'assert';
import { StatusLine } from '../../nodes/shared/status';

/** A node that records its status calls. */
function fakeNode() {
  const calls: Array<Record<string, unknown>> = [];
  return { calls, status: (s: Record<string, unknown>) => void calls.push(s) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('StatusLine.throttle', () => {
  it('runs the first update at once and folds a burst into one more, with the latest state', async () => {
    const node = fakeNode();
    const line = new StatusLine(node, 50);
    let count = 0;
    let built = 0;
    const show = () => {
      built++;
      line.ok(`${count} readings`);
    };
    count = 1;
    line.throttle(show);
    assert.equal(built, 1);
    assert.equal(node.calls.at(-1)?.text, '1 readings');
    for (let i = 0; i < 1000; i++) {
      count++;
      line.throttle(show);
    }
    // A thousand msgs inside the interval: the text is not built for each.
    assert.equal(built, 1);
    await sleep(80);
    assert.equal(built, 2);
    assert.equal(node.calls.at(-1)?.text, '1001 readings');
    line.dispose();
  });

  it('keeps an error on show: an update queued before it does not paint over it later', async () => {
    const node = fakeNode();
    const line = new StatusLine(node, 30);
    line.throttle(() => line.ok('1 reading'));
    line.throttle(() => line.ok('2 readings'));
    line.error('the second reading was refused');
    await sleep(60);
    assert.equal(node.calls.at(-1)?.fill, 'red');
    assert.equal(node.calls.at(-1)?.text, 'the second reading was refused');
    line.dispose();
  });

  it('builds nothing after dispose (a closed node keeps no timer and shows nothing late)', async () => {
    const node = fakeNode();
    const line = new StatusLine(node, 30);
    let built = 0;
    line.throttle(() => built++);
    line.throttle(() => built++);
    line.dispose();
    await sleep(60);
    assert.equal(built, 1);
  });
});
