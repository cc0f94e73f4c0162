#!/usr/bin/env node
// STAND-IN for NVIDIA's nvidia-smi, for tests on machines without a GPU. It is not nvidia-smi.
// It answers the subset the suite uses in nvidia-smi's own formats:
//   --query-gpu=<fields> --format=csv[,noheader][,nounits] [-i ids]   (", "-separated CSV;
//       "[N/A]" / "[Not Supported]" for values a GPU lacks; hex reasons masks)
//   -i ids -lgc min,max   ("GPU clocks set to ..." per GPU, "All done.")
//   -i ids -rgc           ("All done.")
// and fails the way the real one does: exit 4 with the permission sentence when not allowed to
// change clocks, exit 2 for a field the "driver" does not know, exit 9 without a driver, exit 6
// for an unknown GPU index. It keeps its GPUs in a JSON state file (locks change the reported
// clock) and appends every call to a log file, one JSON line for the start and one for the end.
//
// Environment: FAKE_NVIDIA_SMI_STATE (state file), FAKE_NVIDIA_SMI_LOG (log file).
// State: { mode: 'ok'|'permission'|'old-driver'|'no-driver'|'hang', delayMs?, gpus: [...] }.
'use strict';
const fs = require('fs');

const statePath = process.env.FAKE_NVIDIA_SMI_STATE;
const logPath = process.env.FAKE_NVIDIA_SMI_LOG;
const argv = process.argv.slice(2);

function log(event, extra) {
  if (logPath) fs.appendFileSync(logPath, JSON.stringify({ event, argv, pid: process.pid, ...extra }) + '\n');
}
function loadState() {
  return JSON.parse(fs.readFileSync(statePath, 'utf8'));
}
function saveState(state) {
  const tmp = statePath + '.' + process.pid;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, statePath);
}
function finish(code, out, err) {
  if (out) process.stdout.write(out);
  if (err) process.stderr.write(err);
  log('end', { code });
  process.exitCode = code;
}

const UNITS = {
  'power.draw': 'W', 'power.draw.instant': 'W', 'power.limit': 'W', 'clocks.sm': 'MHz', 'clocks.current.sm': 'MHz',
  'clocks.max.sm': 'MHz', 'clocks.mem': 'MHz', 'temperature.gpu': '', 'temperature.memory': '', 'utilization.gpu': '%',
};

function hex(mask) {
  return '0x' + BigInt(mask || 0).toString(16).padStart(16, '0');
}

function fieldValue(state, gpu, field) {
  const na = (v) => (v === null || v === undefined ? '[N/A]' : v);
  const lockedClock = () => (gpu.locked ? Math.min(gpu.locked[1], gpu.maxSm) : gpu.sm);
  switch (field) {
    case 'index': return String(gpu.index);
    case 'uuid': return gpu.uuid;
    case 'name': return gpu.name;
    case 'pci.bus_id': return gpu.busId;
    case 'driver_version': return state.driver || '550.90.07';
    case 'power.draw':
    case 'power.draw.instant': return gpu.power === 'unsupported' ? '[Not Supported]' : na(gpu.power === null ? null : Number(gpu.power).toFixed(2));
    case 'clocks.sm':
    case 'clocks.current.sm': return String(lockedClock());
    case 'clocks.max.sm': return String(gpu.maxSm);
    case 'temperature.gpu': return na(gpu.temp);
    case 'temperature.memory': return na(gpu.memTemp);
    case 'utilization.gpu': return na(gpu.util);
    case 'clocks_event_reasons.active':
      if (state.mode === 'old-driver') return undefined;
      return hex(gpu.reasons);
    case 'clocks_throttle_reasons.active': return hex(gpu.reasons);
    default: return undefined;
  }
}

function selectGpus(state) {
  const i = argv.indexOf('-i');
  const eq = argv.find((a) => a.startsWith('--id='));
  const spec = i >= 0 ? argv[i + 1] : eq ? eq.slice(5) : undefined;
  if (spec === undefined) return state.gpus;
  const picked = [];
  for (const id of String(spec).split(',')) {
    const g = state.gpus.find((x) => String(x.index) === id || x.uuid === id || x.busId === id);
    if (!g) return null;
    picked.push(g);
  }
  return picked;
}

function query(state) {
  const fields = argv.find((a) => a.startsWith('--query-gpu=')).slice('--query-gpu='.length).split(',');
  const format = (argv.find((a) => a.startsWith('--format=')) || '--format=').slice('--format='.length).split(',');
  if (!format.includes('csv')) return finish(2, 'Invalid combination of input arguments. Please run \'nvidia-smi -h\' for help.\n');
  const gpus = selectGpus(state);
  if (!gpus) return finish(6, 'No devices were found\n');
  const rows = [];
  for (const gpu of gpus) {
    const cells = [];
    for (const f of fields) {
      const v = fieldValue(state, gpu, f);
      if (v === undefined) return finish(2, `Field "${f}" is not a valid field to query.\n\n`);
      const unit = UNITS[f];
      cells.push(!format.includes('nounits') && unit && !String(v).startsWith('[') ? `${v} ${unit}` : String(v));
    }
    rows.push(cells.join(', '));
  }
  const header = fields.map((f) => (UNITS[f] ? `${f} [${UNITS[f]}]` : f)).join(', ');
  finish(0, (format.includes('noheader') ? '' : header + '\n') + rows.map((r) => r + '\n').join(''));
}

function setClocks(state, reset) {
  const gpus = selectGpus(state);
  if (!gpus) return finish(6, 'No devices were found\n');
  if (state.mode === 'permission') {
    return finish(4, `The current user does not have permission to change clocks for GPU ${gpus[0].busId}.\nTerminating early due to previous errors.\n`);
  }
  let out = '';
  if (reset) {
    for (const g of gpus) delete g.locked;
    out = 'All done.\n';
  } else {
    const arg = argv[argv.indexOf('-lgc') + 1] || '';
    const m = /^(\d+),(\d+)$/.exec(arg) || /^(\d+)$/.exec(arg);
    if (!m) return finish(2, `Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n`);
    const lo = Number(m[1]);
    const hi = Number(m[2] || m[1]);
    for (const g of gpus) {
      g.locked = [lo, hi];
      out += `GPU clocks set to "(gpuClkMin ${lo}, gpuClkMax ${hi})" for GPU ${g.busId}\n`;
    }
    out += 'All done.\n';
  }
  saveState(state);
  finish(0, out);
}

function main() {
  log('start');
  const state = loadState();
  const act = () => {
    if (state.mode === 'hang') return setInterval(() => undefined, 1 << 30);
    if (state.mode === 'no-driver') {
      return finish(9, "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n");
    }
    if (argv.some((a) => a.startsWith('--query-gpu='))) return query(state);
    if (argv.includes('-lgc')) return setClocks(state, false);
    if (argv.includes('-rgc')) return setClocks(state, true);
    return finish(2, `Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n`);
  };
  if (state.delayMs) setTimeout(act, state.delayMs);
  else act();
}

main();
