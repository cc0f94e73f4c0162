import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { IPoint } from 'influx';
import { BufferedInfluxWriter, PointSink } from '../../../core/influx/buffered-writer';

/** A sink that records batches and can be switched "down" (ECONNREFUSED) or to reject data. */
class ScriptedSink implements PointSink {
  batches: IPoint[][] = [];
  down = false;
  rejectNext = 0;
  calls = 0;
  async writePoints(points: IPoint[]): Promise<void> {
    this.calls++;
    await new Promise((r) => setImmediate(r));
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8086'), { code: 'ECONNREFUSED' });
    if (this.rejectNext > 0) {
      this.rejectNext--;
      throw Object.assign(new Error('A 400 Bad Request error occurred: field type conflict'), { res: { statusCode: 400 } });
    }
    this.batches.push(points);
  }
  get values(): number[] {
    return this.batches.flat().map((p) => Number(p.fields?.value));
  }
}

const points = (from: number, n: number): IPoint[] =>
  Array.from({ length: n }, (_, i) => ({ measurement: 'gpu', tags: { metric: 'gpu.power' }, fields: { value: from + i }, timestamp: 1764158400000 + from + i }));

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('BufferedInfluxWriter', () => {
  let writer: BufferedInfluxWriter | undefined;
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-writer-'));
  });
  afterEach(async () => {
    await writer?.close(Date.now() + 100);
    writer = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const make = (sink: PointSink, extra: Partial<ConstructorParameters<typeof BufferedInfluxWriter>[0]> = {}) =>
    (writer = new BufferedInfluxWriter({ sink, database: 'db', batchSize: 100, flushIntervalMs: 20, maxBuffered: 10000, backoff: { initialMs: 10, maxMs: 40 }, ...extra }));

  it('writes full batches without waiting for the interval', async () => {
    const sink = new ScriptedSink();
    make(sink, { flushIntervalMs: 60000 });
    writer!.write(points(0, 250));
    await until(() => sink.values.length === 250);
    // Never more than a batch per request; what is left goes out in the same flush.
    assert.deepEqual(sink.batches.map((b) => b.length), [100, 100, 50]);
  });

  it('keeps two batches of a backlog in flight at once, and never more', async () => {
    let inFlight = 0;
    let most = 0;
    const written: number[] = [];
    const sink: PointSink = {
      async writePoints(batch: IPoint[]) {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        written.push(...batch.map((p) => Number(p.fields?.value)));
      },
    };
    make(sink, { flushIntervalMs: 60000 });
    writer!.write(points(0, 1000));
    await until(() => written.length === 1000);
    assert.equal(most, 2);
    assert.deepEqual([...written].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
  });

  it('writes one batch at a time when told to (inFlight 1)', async () => {
    let inFlight = 0;
    let most = 0;
    let n = 0;
    const sink: PointSink = {
      async writePoints(batch: IPoint[]) {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        n += batch.length;
      },
    };
    make(sink, { flushIntervalMs: 60000, inFlight: 1 });
    writer!.write(points(0, 500));
    await until(() => n === 500);
    assert.equal(most, 1);
  });

  it('keeps the whole window when one of its batches meets an outage, and loses nothing', async () => {
    const stored = new Map<number, number>();
    let calls = 0;
    const sink: PointSink = {
      async writePoints(batch: IPoint[]) {
        calls++;
        await new Promise((r) => setImmediate(r));
        // The second request of the first window fails as if the server went away mid-window.
        if (calls === 2) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        for (const p of batch) stored.set(Number(p.fields?.value), (stored.get(Number(p.fields?.value)) ?? 0) + 1);
      },
    };
    make(sink, { flushIntervalMs: 60000 });
    writer!.write(points(0, 200));
    await until(() => stored.size === 200 && writer!.getStats().state === 'connected');
    // Every point is there; the batch that did arrive went again (InfluxDB keeps one point per series and time).
    assert.deepEqual([...stored.keys()].sort((a, b) => a - b), Array.from({ length: 200 }, (_, i) => i));
    assert.equal(writer!.getStats().written, 200);
    assert.equal(writer!.getStats().retries, 1);
  });

  it('takes a sink that throws at once (not a rejected promise) as an outage, with nothing escaping', async () => {
    const escaped: unknown[] = [];
    const onRejection = (r: unknown) => escaped.push(r);
    process.prependListener('unhandledRejection', onRejection);
    try {
      let down = true;
      let n = 0;
      const sink = {
        writePoints(batch: IPoint[]) {
          if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          n += batch.length;
          return Promise.resolve();
        },
      } as PointSink;
      make(sink, { flushIntervalMs: 60000 });
      writer!.write(points(0, 300));
      await until(() => writer!.getStats().state === 'buffering');
      down = false;
      await until(() => n >= 300);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(escaped, []);
    } finally {
      process.removeListener('unhandledRejection', onRejection);
    }
  });

  it('counts a refused batch of a window and writes the other', async () => {
    const sink = new ScriptedSink();
    sink.rejectNext = 1;
    make(sink, { flushIntervalMs: 60000 });
    writer!.write(points(0, 200));
    await until(() => writer!.getStats().written + writer!.getStats().rejected === 200);
    assert.equal(writer!.getStats().rejected, 100);
    assert.equal(sink.values.length, 100);
  });

  it('writes a partial batch when the flush interval passes', async () => {
    const sink = new ScriptedSink();
    make(sink);
    writer!.write(points(0, 7));
    await until(() => sink.values.length === 7);
  });

  it('keeps points through an outage and writes them in order afterwards', async () => {
    const sink = new ScriptedSink();
    make(sink);
    sink.down = true;
    writer!.write(points(0, 350));
    await until(() => writer!.getStats().state === 'buffering');
    writer!.write(points(350, 150));
    assert.equal(writer!.buffered, 500);
    sink.down = false;
    await until(() => sink.values.length === 500);
    assert.deepEqual(sink.values, Array.from({ length: 500 }, (_, i) => i));
    await until(() => writer!.getStats().state === 'connected');
  });

  it('sends an outage backlog held in memory one batch at a time, so it lands in order', async () => {
    let inFlight = 0;
    let most = 0;
    let down = true;
    const order: number[] = [];
    const sink: PointSink = {
      async writePoints(batch: IPoint[]) {
        if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 3));
        inFlight--;
        order.push(...batch.map((p) => Number(p.fields?.value)));
      },
    };
    make(sink, { flushIntervalMs: 60000 });
    writer!.write(points(0, 600));
    await until(() => writer!.getStats().state === 'buffering');
    down = false;
    await until(() => order.length === 600);
    assert.equal(most, 1);
    assert.deepEqual(order, Array.from({ length: 600 }, (_, i) => i));
  });

  it('backs off between retries instead of hammering the database', async () => {
    const sink = new ScriptedSink();
    make(sink, { backoff: { initialMs: 50, maxMs: 50 } });
    sink.down = true;
    writer!.write(points(0, 10));
    await new Promise((r) => setTimeout(r, 300));
    // One try every 50 ms at most, whatever the flush interval (20 ms) says.
    assert.ok(sink.calls <= 8, `calls: ${sink.calls}`);
    assert.ok(writer!.getStats().retries >= 2);
  });

  it('drops only past the limit, and counts what it dropped', async () => {
    const sink = new ScriptedSink();
    const states: string[] = [];
    make(sink, { maxBuffered: 300 });
    writer!.on('state', (s) => states.push(s.state));
    sink.down = true;
    const accepted = writer!.write(points(0, 250)) + writer!.write(points(250, 100));
    assert.equal(accepted, 300);
    assert.equal(writer!.getStats().dropped, 50);
    assert.ok(states.includes('dropping'));
    sink.down = false;
    await until(() => sink.values.length === 300);
    assert.deepEqual(sink.values, Array.from({ length: 300 }, (_, i) => i));
  });

  it('counts a batch the database refuses for good and goes on with the rest', async () => {
    const sink = new ScriptedSink();
    const rejected: number[] = [];
    make(sink, { onRejected: (_e, n) => rejected.push(n) });
    sink.rejectNext = 1;
    writer!.write(points(0, 200));
    await until(() => sink.values.length === 100);
    assert.deepEqual(rejected, [100]);
    assert.equal(writer!.getStats().rejected, 100);
  });

  it('spills the outage backlog to disk, and a new writer sends it after a restart', async () => {
    const file = path.join(tmp, 'spill.jsonl');
    const down = new ScriptedSink();
    down.down = true;
    make(down, { spillFile: file });
    writer!.write(points(0, 120));
    await until(() => writer!.getStats().state === 'buffering');
    writer!.write(points(120, 80));
    const closed = await writer!.close(Date.now() + 50);
    writer = undefined;
    assert.equal(closed.spilled, 200);
    assert.equal(closed.lost, 0);
    assert.ok(fs.existsSync(file));

    const up = new ScriptedSink();
    make(up, { spillFile: file });
    assert.equal(writer!.buffered, 200);
    writer!.write(points(200, 10));
    await until(() => up.values.length === 210);
    assert.deepEqual(up.values, Array.from({ length: 210 }, (_, i) => i));
    assert.equal(fs.existsSync(file), false, 'the spill file is removed once written');
  });

  it('keeps timestamps given as dates through the spill file', async () => {
    const file = path.join(tmp, 'spill.jsonl');
    const down = new ScriptedSink();
    down.down = true;
    make(down, { spillFile: file });
    const when = new Date('2026-11-26T12:00:00.123Z');
    writer!.write([{ measurement: 'gpu', fields: { value: 1 }, timestamp: when }]);
    await writer!.close(Date.now() + 50);
    const up = new ScriptedSink();
    make(up, { spillFile: file });
    await until(() => up.values.length === 1);
    assert.deepEqual(up.batches[0][0].timestamp, when);
  });

  it('reports points it could not keep on close when there is no spill file', async () => {
    const sink = new ScriptedSink();
    sink.down = true;
    make(sink);
    writer!.write(points(0, 30));
    const r = await writer!.close(Date.now() + 50);
    writer = undefined;
    assert.equal(r.lost, 30);
  });

  it('refuses a buffer limit smaller than a batch', () => {
    assert.throws(() => new BufferedInfluxWriter({ sink: new ScriptedSink(), database: 'db', batchSize: 100, flushIntervalMs: 10, maxBuffered: 10 }), /buffer limit/);
  });
});
