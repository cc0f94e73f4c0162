import assert from 'node:assert/strict';
import { seededRng } from '../../../core/twin/rng';
import {
  burstRate,
  constantRate,
  loadAzureTrace,
  parseAzureTrace,
  parseTraceTimestamp,
  rateScale,
  sineRate,
  stepRate,
  TraceFormatError,
  type Workload,
} from '../../../core/twin/workload';

const CSV = [
  'TIMESTAMP,ContextTokens,GeneratedTokens',
  '2023-11-16 18:15:46.6805900,374,44',
  '2023-11-16 18:15:50.9951690,396,109',
  '2023-11-16 18:15:51.2224670,879,55',
  '',
].join('\n');

function syntheticTrace(n: number, spacingS: number): Workload {
  return {
    name: 't',
    startEpochMs: 0,
    durationS: (n - 1) * spacingS,
    requests: Array.from({ length: n }, (_, id) => ({ id, arrivalS: id * spacingS, inputTokens: 100 + id, outputTokens: 10 })),
  };
}

describe('twin workload (twin.md §2)', () => {
  describe('Azure trace format', () => {
    it('reads timestamps with seven fractional digits to sub-millisecond precision', () => {
      assert.equal(parseTraceTimestamp('2023-11-16 18:15:46.6805900'), Date.UTC(2023, 10, 16, 18, 15, 46) + 680.59);
    });
    it('gives arrivals in seconds from the first request', () => {
      const w = parseAzureTrace(CSV);
      assert.deepEqual(
        w.requests.map((r) => Math.round(r.arrivalS * 1e6) / 1e6),
        [0, 4.314579, 4.541877],
      );
      assert.deepEqual(w.requests.map((r) => [r.inputTokens, r.outputTokens]), [[374, 44], [396, 109], [879, 55]]);
      assert.equal(w.startEpochMs, parseTraceTimestamp('2023-11-16 18:15:46.6805900'));
    });
    it('finds the columns by header name in any order, with CRLF line ends', () => {
      const csv = 'GeneratedTokens,TIMESTAMP,ContextTokens\r\n7,2024-01-01 00:00:01.5,100\r\n9,2024-01-01 00:00:00,50\r\n';
      const w = parseAzureTrace(csv);
      assert.deepEqual(w.requests.map((r) => [r.arrivalS, r.inputTokens, r.outputTokens]), [[0, 50, 9], [1.5, 100, 7]]);
      assert.equal(w.durationS, 1.5);
    });
    it('rejects a file without the expected columns', () => {
      assert.throws(() => parseAzureTrace('time,in,out\n1,2,3\n'), TraceFormatError);
    });
    it('rejects a bad timestamp and names its line', () => {
      assert.throws(() => parseAzureTrace('TIMESTAMP,ContextTokens,GeneratedTokens\nyesterday,1,2\n'), /line 2/);
    });
    it('loads the Conversation trace when it is present', function () {
      const path = `${__dirname}/../../../../shared/data/azure-llm-2023/AzureLLMInferenceTrace_conv.csv`;
      let w: Workload;
      try {
        w = loadAzureTrace(path);
      } catch {
        this.skip();
        return;
      }
      assert.ok(w.requests.length > 1000);
      assert.ok(w.durationS > 3000 && w.durationS < 3700, `duration ${w.durationS}`);
    });
  });

  describe('rateScale', () => {
    it('replays each request exactly N times for an integer N', () => {
      const w = rateScale(syntheticTrace(50, 10), 3, 1);
      assert.equal(w.requests.length, 150);
      for (let i = 0; i < 50; i++) assert.equal(w.requests.filter((r) => r.inputTokens === 100 + i).length, 3);
    });
    it('adds one more copy with probability N − ⌊N⌋', () => {
      const w = rateScale(syntheticTrace(20000, 0.1), 2.25, 5);
      const perRequest = new Map<number, number>();
      for (const r of w.requests) perRequest.set(r.inputTokens, (perRequest.get(r.inputTokens) ?? 0) + 1);
      const counts = [...perRequest.values()];
      assert.ok(counts.every((c) => c === 2 || c === 3));
      const share = counts.filter((c) => c === 3).length / 20000;
      assert.ok(Math.abs(share - 0.25) < 0.015, `share of 3 copies ${share}`);
    });
    it('puts every copy within [0, 1) s after its original', () => {
      const w = rateScale(syntheticTrace(100, 10), 4, 2);
      for (const r of w.requests) {
        const original = (r.inputTokens - 100) * 10;
        assert.ok(r.arrivalS >= original && r.arrivalS < original + 1, `${r.arrivalS} vs ${original}`);
      }
    });
    it('keeps the duration and returns arrivals in order with fresh ids', () => {
      const base = syntheticTrace(100, 10);
      const w = rateScale(base, 2.5, 3);
      assert.equal(w.durationS, base.durationS);
      w.requests.forEach((r, i) => {
        assert.equal(r.id, i);
        if (i > 0) assert.ok(r.arrivalS >= w.requests[i - 1].arrivalS);
      });
    });
    it('is identical for the same seed and differs for another', () => {
      const base = syntheticTrace(200, 1);
      const a = rateScale(base, 1.7, 42);
      const b = rateScale(base, 1.7, 42);
      const c = rateScale(base, 1.7, 43);
      assert.deepEqual(a, b);
      assert.notDeepEqual(a.requests.map((r) => r.arrivalS), c.requests.map((r) => r.arrivalS));
    });
    it('refuses a negative factor', () => {
      assert.throws(() => rateScale(syntheticTrace(2, 1), -1, 1), RangeError);
    });
  });

  describe('synthetic generators', () => {
    const o = { durationS: 2000, seed: 9 };
    it('constant rate delivers the mean rate', () => {
      const n = constantRate(5, o).requests.length;
      assert.ok(Math.abs(n / 2000 - 5) < 0.25, `${n / 2000}/s`);
    });
    it('step changes the rate at the step time', () => {
      const w = stepRate(1, 10, 1000, o);
      const before = w.requests.filter((r) => r.arrivalS < 1000).length;
      const after = w.requests.length - before;
      assert.ok(before > 850 && before < 1150, `before ${before}`);
      assert.ok(after > 9500 && after < 10500, `after ${after}`);
    });
    it('sine peaks a quarter period in and troughs at three quarters', () => {
      const w = sineRate(10, 8, 2000, o);
      const near = (c: number) => w.requests.filter((r) => Math.abs(r.arrivalS - c) < 100).length;
      assert.ok(near(500) > 3 * near(1500));
    });
    it('bursts raise the rate only inside the burst windows', () => {
      const w = burstRate(1, 20, 100, 10, o);
      const inBurst = w.requests.filter((r) => r.arrivalS % 100 < 10).length;
      const outside = w.requests.length - inBurst;
      assert.ok(Math.abs(inBurst / 200 - 20) < 2, `burst rate ${inBurst / 200}`);
      assert.ok(Math.abs(outside / 1800 - 1) < 0.2, `base rate ${outside / 1800}`);
    });
    it('uses fixed lengths when given numbers', () => {
      const w = constantRate(2, { ...o, lengths: { inputTokens: 64, outputTokens: 8 } });
      assert.ok(w.requests.every((r) => r.inputTokens === 64 && r.outputTokens === 8));
    });
    it('is deterministic for a seed', () => {
      assert.deepEqual(sineRate(3, 2, 500, o), sineRate(3, 2, 500, o));
    });
  });

  it('the seeded generator is uniform in [0, 1)', () => {
    const rng = seededRng(1);
    let sum = 0;
    for (let i = 0; i < 10000; i++) {
      const x = rng();
      assert.ok(x >= 0 && x < 1);
      sum += x;
    }
    assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
  });
});
