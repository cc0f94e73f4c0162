import assert from 'node:assert/strict';
import { defineLazy } from '../../nodes/sensor/output';

// The runtime's own message copy, as a Debug node or a second wire would make it.
const { cloneMessage } = require(require.resolve('@node-red/util', { paths: [require.resolve('node-red')] })).util;

describe('Sensor: the text of an unwired output, built when read', () => {
  const lazyMsg = () => {
    let built = 0;
    const msg: Record<string, unknown> = { payload: [1] };
    defineLazy(msg, 'text', () => {
      built++;
      return 'GPU temperature: 78.4 °C';
    });
    return { msg, builds: () => built };
  };

  it('builds nothing until the property is read, then once', () => {
    const { msg, builds } = lazyMsg();
    assert.equal(builds(), 0);
    assert.deepEqual(Object.keys(msg), ['payload', 'text']);
    assert.equal(msg.text, 'GPU temperature: 78.4 °C');
    assert.equal(msg.text, 'GPU temperature: 78.4 °C');
    assert.equal(builds(), 1);
  });

  it('is there in a copy and in JSON, as a plain property would be', () => {
    const { msg } = lazyMsg();
    assert.equal(cloneMessage(msg).text, 'GPU temperature: 78.4 °C');
    assert.equal(JSON.parse(JSON.stringify(lazyMsg().msg)).text, 'GPU temperature: 78.4 °C');
  });

  it('can be overwritten or deleted by the flow without building it', () => {
    const a = lazyMsg();
    a.msg.text = 'mine';
    assert.equal(a.msg.text, 'mine');
    assert.equal(a.builds(), 0);
    const b = lazyMsg();
    delete b.msg.text;
    assert.equal('text' in b.msg, false);
    assert.equal(b.builds(), 0);
  });
});
