import assert from 'node:assert/strict';
import { Cluster, CommandError, poolRouter, type VisibleRequest } from '../../../core/twin/cluster';
import { Facility } from '../../../core/twin/facility';
import { twinParams, type TwinParamOverrides } from '../../../core/twin/params';
import type { TwinRequest, Workload } from '../../../core/twin/workload';

type Req = [arrivalS: number, inputTokens: number, outputTokens: number];

function workload(reqs: Req[], durationS = 600): Workload {
  const requests: TwinRequest[] = reqs.map(([arrivalS, inputTokens, outputTokens], id) => ({ id, arrivalS, inputTokens, outputTokens }));
  return { name: 'test', startEpochMs: 0, durationS, requests };
}

function cluster(reqs: Req[], over: TwinParamOverrides = {}): Cluster {
  const p = twinParams({ ...over, cluster: { servers: 1, initialActiveServers: 1, ...over.cluster } });
  return new Cluster(p, workload(reqs));
}

const near = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);

describe('twin cluster (twin.md §1)', () => {
  describe('timing of one instance', () => {
    it('prefills an isolated request at 16,000 tokens/s on TP8 at 1980 MHz', () => {
      const c = cluster([[0, 1600, 1]]);
      c.runTo(10);
      near(c.log.firstToken[0], 0.1);
    });

    it('decodes an isolated request at one 15.15 ms step per token', () => {
      const c = cluster([[0, 1600, 11]]);
      c.runTo(10);
      near(c.log.finish[0] - c.log.firstToken[0], 10 * 0.01515);
    });

    it('decodes a batch of b sequences at (15 + 0.15·b) ms per step', () => {
      // A 4,096-token prompt keeps the instance busy for two full chunks; the ten requests that
      // arrive meanwhile are prefilled together in the third iteration and then decode as one batch.
      const c = cluster([[0, 4096, 1], ...Array.from({ length: 10 }, (): Req => [0.01, 100, 101])]);
      c.runTo(10);
      for (let r = 1; r <= 10; r++) {
        near(c.log.firstToken[r], (4096 + 1000) / 16000);
        near(c.log.finish[r] - c.log.firstToken[r], 100 * 0.0165);
      }
    });

    it('prefills in chunks of 2,048 tokens, each followed by one decode step of the running batch', () => {
      // A decodes from t = 1 ms; B (5,000 tokens) arrives at 1 s and waits for the iteration in
      // flight, then takes three iterations: 2048 + 2048 + 904 tokens, each plus one decode step.
      const c = cluster([[0, 16, 1000], [1.0, 5000, 2]]);
      c.runTo(5);
      const step = 0.01515;
      const boundary = 0.001 + Math.ceil((1.0 - 0.001) / step) * step;
      near(c.log.firstToken[1] - 1.0, boundary + 5000 / 16000 + 3 * step - 1.0, 1e-9);
    });

    it('runs at most 256 sequences; the rest wait for a slot', () => {
      const c = cluster(Array.from({ length: 300 }, (): Req => [0, 1, 50]));
      c.runTo(0.5);
      let started = 0;
      for (let r = 0; r < 300; r++) if (!Number.isNaN(c.log.firstToken[r])) started++;
      assert.equal(started, 256);
      c.runTo(60);
      assert.equal(c.counters.finished, 300);
    });

    it('pauses an instance 10 ms for a clock change, then prefills at the new clock', () => {
      const c = cluster([[0.005, 1600, 1]]);
      c.setFrequency('S01.I0', 1200, 0);
      c.runTo(10);
      near(c.log.firstToken[0], 0.01 + 1600 / (16000 * (1200 / 1980)));
    });

    it('refuses a clock outside the clock set', () => {
      const c = cluster([]);
      assert.throws(() => c.setFrequency('S01.I0', 1500, 0), (e: unknown) => e instanceof CommandError && e.code === 'BadOutOfRange');
    });

    it('refuses an unknown instance', () => {
      const c = cluster([]);
      assert.throws(() => c.setFrequency('S09.I0', 1200, 0), (e: unknown) => e instanceof CommandError && e.code === 'BadNodeIdUnknown');
    });
  });

  describe('tensor parallelism', () => {
    it('splits a server into 1, 2 or 4 instances for TP8, TP4, TP2', () => {
      for (const [tp, n] of [[8, 1], [4, 2], [2, 4]] as const) {
        const c = cluster([], { cluster: { initialTensorParallel: tp } });
        assert.equal(c.instances.length, n);
      }
    });

    it('re-sharding keeps every request', () => {
      const reqs = Array.from({ length: 400 }, (_, i): Req => [i * 0.01, 500, 200]);
      const c = cluster(reqs);
      c.runTo(2);
      c.setTensorParallel('S01', 2, 2);
      assert.equal(c.instances.length, 4);
      c.runTo(600);
      assert.equal(c.counters.finished, 400);
      for (let r = 0; r < 400; r++) assert.ok(c.log.finish[r] >= c.log.firstToken[r]);
    });

    it('re-sharding pauses 100 ms, redoes the step in flight and decodes at the new TP speed', () => {
      // Decoding from t = 1 ms at 15.15 ms per step; at t = 1 s 65 steps are done and the 66th
      // is abandoned. The remaining 934 steps run on TP4 (×1.6) after the 100 ms pause.
      const c = cluster([[0, 16, 1000]]);
      c.runTo(1);
      c.setTensorParallel('S01', 4, 1);
      c.runTo(60);
      near(c.log.finish[0], 1.1 + (999 - 65) * 0.01515 * 1.6, 1e-9);
    });

    it('re-sharding TP2 → TP8 preempts what no longer fits and still finishes it', () => {
      const reqs = Array.from({ length: 800 }, (): Req => [0, 1, 300]);
      const c = cluster(reqs, { cluster: { initialTensorParallel: 2 } });
      c.runTo(3);
      c.setTensorParallel('S01', 8, 3);
      c.runTo(900);
      assert.equal(c.counters.finished, 800);
    });
  });

  describe('routing', () => {
    it('sends simultaneous arrivals to different instances (least loaded)', () => {
      const c = cluster([[1, 4000, 10], [1, 4000, 10]], { cluster: { initialTensorParallel: 4 } });
      c.runTo(1);
      assert.deepEqual(c.instances.map((i) => i.outstanding), [1, 1]);
    });

    it('shows a router only the input length, never the output length', () => {
      const c = cluster([[0, 123, 45]]);
      const seen: VisibleRequest[] = [];
      c.setRouter((req) => {
        seen.push(req);
        return undefined;
      });
      c.runTo(1);
      assert.deepEqual(seen, [{ id: 0, arrivalS: 0, inputTokens: 123 }]);
    });

    it('a pool router sends each pool to its instance group', () => {
      const c = cluster([[0.5, 3000, 500], [0.5, 100, 500], [0.5, 120, 500]], { cluster: { initialTensorParallel: 2 } });
      c.setRouter(poolRouter((r) => (r.inputTokens > 1000 ? 'long' : 'short'), () => ({ long: ['S01.I3'], short: ['S01.I0', 'S01.I1'] })));
      c.runTo(0.5);
      assert.deepEqual(c.instances.map((i) => i.outstanding), [1, 1, 0, 1]);
    });

    it('holds requests while no server serves and routes them once one is up', () => {
      const c = cluster([[1, 100, 2]], { cluster: { initialActiveServers: 0 } });
      c.runTo(10);
      assert.equal(c.unroutedRequests, 1);
      c.setServerCount(1, 10);
      c.runTo(189);
      c.lifecycle(189);
      assert.ok(Number.isNaN(c.log.firstToken[0]));
      c.runTo(190);
      c.lifecycle(190);
      c.runTo(191);
      assert.ok(c.log.firstToken[0] >= 190 && c.log.firstToken[0] < 190.1);
    });
  });

  describe('SLO', () => {
    const c = cluster([[0, 100, 11], [0, 8000, 11], [0, 100, 1]]);
    const set = (r: number, ttft: number, tbt: number) => {
      c.log.firstToken[r] = ttft;
      c.log.finish[r] = ttft + tbt * (c.log.output[r] - 1);
    };
    it('meets it with TTFT under the 250 ms floor and mean TBT under 75.75 ms', () => {
      set(0, 0.249, 0.075);
      assert.equal(c.meetsSlo(0), true);
    });
    it('misses it with TTFT above the floor for a short prompt', () => {
      set(0, 0.26, 0.02);
      assert.equal(c.meetsSlo(0), false);
    });
    it('allows 5× the isolated TTFT for a long prompt', () => {
      set(1, 2.49, 0.02);
      assert.equal(c.meetsSlo(1), true);
      set(1, 2.51, 0.02);
      assert.equal(c.meetsSlo(1), false);
    });
    it('misses it with a mean TBT above 75.75 ms', () => {
      set(0, 0.1, 0.076);
      assert.equal(c.meetsSlo(0), false);
    });
    it('judges a one-token answer by TTFT alone', () => {
      c.log.firstToken[2] = 0.1;
      c.log.finish[2] = 0.1;
      assert.equal(c.meetsSlo(2), true);
    });
  });

  describe('servers', () => {
    function facility(active: number, reqs: Req[] = []) {
      const p = twinParams({ cluster: { servers: 2, initialActiveServers: active } });
      const f = new Facility(p, workload(reqs));
      const samples: Array<{ t: number; itKW: number; serving: number; powered: number }> = [];
      f.onInterval((s) => samples.push({ t: s.t, itKW: s.itKW, serving: s.servingServers, powered: s.poweredServers }));
      return { f, samples };
    }

    it('an off server draws 0 W; an idle one host + static GPU power', () => {
      const { f, samples } = facility(1);
      f.advance(5);
      near(samples[4].itKW, 1.2 + 8 * 0.12, 1e-9);
    });

    it('takes 180 s to boot, at host + static GPU power, before it serves', () => {
      const { f, samples } = facility(1);
      f.setServerCount(2);
      f.advance(200);
      const at = (t: number) => samples.find((s) => s.t === t)!;
      near(at(10).itKW, 2 * 2.16, 1e-9);
      assert.equal(at(179).serving, 1);
      assert.equal(at(179).powered, 2);
      assert.equal(at(181).serving, 2);
    });

    it('drains a server that still has work, then switches it off', () => {
      const { f, samples } = facility(1, [[0, 100, 500]]);
      f.advance(1);
      f.setServerCount(0);
      f.advance(3);
      assert.equal(samples[samples.length - 1].powered, 1);
      f.advance(30);
      assert.equal(samples[samples.length - 1].powered, 0);
      assert.equal(samples[samples.length - 1].itKW, 0);
      assert.equal(f.summary().requests.finished, 1);
    });

    it('refuses a server count beyond the installed servers', () => {
      const { f } = facility(1);
      assert.throws(() => f.setServerCount(3), CommandError);
    });
  });
});
