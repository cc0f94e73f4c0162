#!/usr/bin/env node
// Device check, run by gpu-check.sh on a machine with an NVIDIA GPU: the suite's own nvidia-smi
// adapters against the REAL nvidia-smi. Sensor side: one query turned into readings. GPU DVFS
// side: lock the SM clock of one GPU to a lower supported clock, observe it, reset it on close.
// Prints what it saw, then one JSON line (`RESULT {...}`). Exit 0 when the query worked (even if
// locking clocks is not permitted here: that is reported, not failed), 1 otherwise.
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');

const root = path.resolve(__dirname, '..', '..');
const gpu = Number(process.argv[2] ?? 0);
const binary = process.env.NVIDIA_SMI || 'nvidia-smi';

/** The adapters from the TypeScript sources through tsx (after `npm ci`), else from dist/ (after `npm run build`). */
function loadAdapters() {
  try {
    require('tsx/cjs');
    return { from: 'sources (tsx)', smi: require(path.join(root, 'core/adapters/nvidia-smi.ts')), clocks: require(path.join(root, 'core/adapters/gpu-clocks.ts')) };
  } catch {
    try {
      return {
        from: 'dist',
        smi: require(path.join(root, 'dist/core/adapters/nvidia-smi.js')),
        clocks: require(path.join(root, 'dist/core/adapters/gpu-clocks.js')),
      };
    } catch (distErr) {
      console.log(`FAIL: cannot load the adapters: run "npm ci" (or "npm run build" and carry dist/) first (${distErr.message.split('\n')[0]})`);
      process.exit(1);
    }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (s) =>
  `gpu ${s.index}: sm ${s.smClockMHz ?? 'n/a'} MHz (max ${s.maxSmClockMHz ?? 'n/a'}), ${s.powerW ?? 'n/a'} W, ${s.gpuTempC ?? 'n/a'} °C, HBM ${s.memTempC ?? 'n/a'} °C, util ${s.utilizationPct ?? 'n/a'} %, reasons [${s.reasons.join(',')}]`;

/** A supported graphics clock near 60 % of the maximum (the driver's own list), else a round guess. */
function lowerClock(maxMHz) {
  const want = Math.round((maxMHz || 1400) * 0.6);
  try {
    const out = execFileSync(binary, ['-i', String(gpu), '--query-supported-clocks=graphics', '--format=csv,noheader,nounits'], { encoding: 'utf8', timeout: 15000 });
    const clocks = [...new Set(out.split('\n').map(Number).filter((n) => Number.isFinite(n) && n > 0))];
    if (clocks.length) return clocks.reduce((best, c) => (Math.abs(c - want) < Math.abs(best - want) ? c : best));
  } catch {
    /* older drivers or no permission: guess */
  }
  return Math.round(want / 15) * 15;
}

async function main() {
  const result = { gpu, adapters: '', query: 'fail', readings: 0, lock: 'not-tried', targetMHz: null, observedMHz: [], reset: 'not-tried', resetMHz: null };
  const { from, smi: smiMod, clocks } = loadAdapters();
  result.adapters = from;
  console.log(`adapters loaded from ${from}; nvidia-smi = ${binary}; GPU ${gpu}`);
  const smi = new smiMod.NvidiaSmi({ binary, timeoutMs: 20000, tags: { server: require('os').hostname() } });

  // Sensor side
  let sample;
  try {
    const t0 = Date.now();
    const samples = await smi.query();
    console.log(`query of all GPUs: ${samples.length} GPU(s) in ${Date.now() - t0} ms; command: ${binary} ${smi.queryArgs().join(' ')}`);
    for (const s of samples) console.log('  ' + fmt(s));
    sample = samples.find((s) => s.index === gpu);
    if (!sample) throw new Error(`GPU ${gpu} is not in the query result`);
    const readings = await smi.readings([gpu]);
    result.readings = readings.length;
    console.log(`readings for GPU ${gpu} (what the Sensor would send):`);
    for (const r of readings) console.log(`  ${r.layer.padEnd(8)} ${r.metric.padEnd(16)} ${String(r.value).padStart(8)} ${r.unit}  ${JSON.stringify(r.tags)}`);
    result.query = 'ok';
  } catch (err) {
    console.log(`FAIL: query: ${err.code ?? ''} ${err.message}`);
    console.log('RESULT ' + JSON.stringify(result));
    process.exit(1);
  }

  // GPU DVFS side
  const target = lowerClock(sample.maxSmClockMHz);
  result.targetMHz = target;
  const act = new clocks.GpuClockActuator(smi, [gpu]);
  console.log(`locking GPU ${gpu} at ${target} MHz: ${binary} -i ${gpu} -lgc ${target},${target}`);
  try {
    await act.set(target);
    result.lock = 'ok';
    for (let i = 0; i < 5; i++) {
      await sleep(500);
      const [s] = await act.observe();
      result.observedMHz.push(s.smClockMHz ?? null);
      console.log(`  locked, sample ${i + 1}: ` + fmt(s));
    }
  } catch (err) {
    if (err.code === 'ERR_PERMISSION') {
      result.lock = 'not-permitted';
      console.log(`LOCK NOT PERMITTED (expected without root / CAP_SYS_ADMIN): ${err.message}`);
    } else {
      result.lock = 'fail';
      console.log(`FAIL: lock: ${err.code ?? ''} ${err.message}`);
    }
  }
  try {
    const touched = result.lock !== 'not-permitted';
    await act.close();
    if (touched) {
      result.reset = 'ok';
      await sleep(500);
      const [s] = await smi.query([gpu]);
      result.resetMHz = s.smClockMHz ?? null;
      console.log(`reset with -rgc; after reset: ` + fmt(s));
    }
  } catch (err) {
    result.reset = 'fail';
    console.log(`FAIL: reset: ${err.code ?? ''} ${err.message}`);
  }
  const near = result.observedMHz.some((m) => m !== null && Math.abs(m - target) <= 30);
  if (result.lock === 'ok') console.log(near ? `OK: the clock followed the lock (${target} MHz)` : `NOTE: observed clocks ${result.observedMHz.join(', ')} MHz did not reach ${target} MHz (an idle or power-capped GPU may sit elsewhere)`);
  console.log('RESULT ' + JSON.stringify({ ...result, lockObserved: near }));
  process.exit(result.query === 'ok' && result.lock !== 'fail' && result.reset !== 'fail' ? 0 : 1);
}

main().catch((err) => {
  console.log(`FAIL: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
