import assert from 'node:assert/strict';
import { csvNumber, parseGpuList, parseQueryCsv, sampleReadings } from '../../../core/adapters/nvidia-smi';
import { AdapterError } from '../../../core/adapters/errors';

// Lines as nvidia-smi prints them for our field list (index, uuid, power.draw, clocks.sm,
// clocks.max.sm, temperature.gpu, temperature.memory, utilization.gpu, reasons, name).
const H100 = '0, GPU-5a7c3e10-1f2b-4c3d-9e8f-0a1b2c3d4e50, 612.47, 1755, 1980, 78, 84, 97, 0x0000000000000024, NVIDIA H100 80GB HBM3';
const L4 = '1, GPU-77aa0c11-2b3c-4d5e-8f90-112233445566, [N/A], 2040, 2040, 41, [N/A], 12, 0x0000000000000000, NVIDIA L4';

describe('nvidia-smi output parsing', () => {
  it('reads every field of a query line', () => {
    const [s] = parseQueryCsv(H100 + '\n', true);
    assert.deepEqual(s, {
      index: 0,
      uuid: 'GPU-5a7c3e10-1f2b-4c3d-9e8f-0a1b2c3d4e50',
      powerW: 612.47,
      smClockMHz: 1755,
      maxSmClockMHz: 1980,
      gpuTempC: 78,
      memTempC: 84,
      utilizationPct: 97,
      reasonsMask: 0x24,
      reasons: ['sw_power_cap', 'sw_thermal_slowdown'],
      name: 'NVIDIA H100 80GB HBM3',
    });
  });

  it('leaves "[N/A]" fields undefined instead of zero', () => {
    const [s] = parseQueryCsv(L4, true);
    assert.equal(s.powerW, undefined);
    assert.equal(s.memTempC, undefined);
    assert.equal(s.smClockMHz, 2040);
  });

  it('treats "[Not Supported]", "N/A" and "[Unknown Error]" as missing', () => {
    assert.equal(csvNumber(' [Not Supported]'), undefined);
    assert.equal(csvNumber('N/A'), undefined);
    assert.equal(csvNumber('[Unknown Error]'), undefined);
    assert.equal(csvNumber(' 71.30'), 71.3);
  });

  it('reads one sample per line, CRLF or LF', () => {
    assert.deepEqual(
      parseQueryCsv(`${H100}\r\n${L4}\r\n`, true).map((s) => s.index),
      [0, 1],
    );
  });

  it('parses lines without a reasons field when the driver knows neither spelling', () => {
    const [s] = parseQueryCsv('0, GPU-a, 100.5, 1410, 1410, 50, 60, 80, NVIDIA A100-SXM4-80GB', false);
    assert.equal(s.reasonsMask, undefined);
    assert.equal(s.name, 'NVIDIA A100-SXM4-80GB');
  });

  it('refuses a line with fewer fields than asked for', () => {
    assert.throws(() => parseQueryCsv('0, GPU-a, 100', true), (e: unknown) => e instanceof AdapterError && e.code === 'ERR_BAD_OUTPUT');
  });

  it('maps a sample to catalogue readings with the GPU index as tag', () => {
    const [s] = parseQueryCsv(H100, true);
    const rs = sampleReadings(s, 1000, { server: 'gpu-node-07' });
    assert.deepEqual(
      rs.map((r) => [r.metric, r.layer, r.value, r.unit]),
      [
        ['gpu.power', 'gpu', 612.47, 'W'],
        ['gpu.clock', 'gpu', 1755, 'MHz'],
        ['gpu.temperature', 'gpu', 78, '°C'],
        ['hbm.temperature', 'gpu', 84, '°C'],
        ['gpu.utilization', 'workload', 97, '%'],
        ['gpu.throttle', 'gpu', 1, 'bool'],
      ],
    );
    assert.deepEqual(rs[0].tags, { server: 'gpu-node-07', gpu: '0', uuid: 'GPU-5a7c3e10-1f2b-4c3d-9e8f-0a1b2c3d4e50', model: 'NVIDIA H100 80GB HBM3' });
    assert.equal(rs[0].ts, 1000);
  });

  it('reports throttle 0 when only non-thermal reasons are active', () => {
    const [s] = parseQueryCsv(H100.replace('0x0000000000000024', '0x0000000000000004'), true);
    assert.equal(sampleReadings(s, 0).find((r) => r.metric === 'gpu.throttle')?.value, 0);
  });

  it('emits no reading for a field the GPU did not report', () => {
    const [s] = parseQueryCsv(L4, true);
    const metrics = sampleReadings(s, 0).map((r) => r.metric);
    assert.ok(!metrics.includes('gpu.power'));
    assert.ok(!metrics.includes('hbm.temperature'));
  });
});

describe('GPU lists', () => {
  it('reads lists and ranges as a person writes them', () => {
    assert.deepEqual(parseGpuList('0-3'), [0, 1, 2, 3]);
    assert.deepEqual(parseGpuList('0, 2;5'), [0, 2, 5]);
    assert.deepEqual(parseGpuList('0-1, 6'), [0, 1, 6]);
  });

  it('is empty for an empty field', () => {
    assert.deepEqual(parseGpuList(''), []);
  });

  it('refuses words and negative indices', () => {
    assert.throws(() => parseGpuList('gpu0'), /bad GPU index/);
    assert.throws(() => parseGpuList([-1]), /whole number/);
  });
});
