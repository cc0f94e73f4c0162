import assert from 'node:assert/strict';
import { checkMappings, DCGM_MAPPINGS, isDcgmBlank, mapExposition, tidyLabelSpacing } from '../../../core/adapters/prometheus';
import { AdapterError } from '../../../core/adapters/errors';
import { dcgmGpus, dcgmText } from '../../helpers/fake-dcgm-exporter';

const NOW = 1_767_000_000_000;

function valueOf(rs: ReturnType<typeof mapExposition>['readings'], metric: string, gpu: string): number | undefined {
  return rs.find((r) => r.metric === metric && r.tags.gpu === gpu)?.value;
}

describe('DCGM exporter text → readings', () => {
  const text = dcgmText(dcgmGpus());

  it('maps the default DCGM counters to catalogue metrics per GPU', () => {
    const { readings } = mapExposition(text, { now: NOW });
    assert.equal(valueOf(readings, 'gpu.power', '0'), 612.474);
    assert.equal(valueOf(readings, 'gpu.temperature', '0'), 78);
    assert.equal(valueOf(readings, 'hbm.temperature', '0'), 84);
    assert.equal(valueOf(readings, 'gpu.clock', '1'), 345);
    assert.equal(valueOf(readings, 'gpu.utilization', '0'), 97);
  });

  it('uses the catalogue layer and unit of each metric', () => {
    const { readings } = mapExposition(text, { now: NOW });
    const util = readings.find((r) => r.metric === 'gpu.utilization');
    assert.equal(util?.layer, 'workload');
    assert.equal(util?.unit, '%');
    assert.equal(readings.find((r) => r.metric === 'hbm.temperature')?.unit, '°C');
  });

  it('turns gpu, UUID, Hostname, modelName and pod labels into tags and drops the rest', () => {
    const { readings } = mapExposition(text, { now: NOW });
    const r = readings.find((x) => x.metric === 'gpu.power' && x.tags.gpu === '0');
    assert.deepEqual(r?.tags, {
      gpu: '0',
      uuid: 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52',
      model: 'NVIDIA H100 80GB HBM3',
      server: 'gpu-node-07',
      namespace: 'llm',
      pod: 'vllm-llama-70b-0',
    });
  });

  it('drops DCGM "not supported" sentinels instead of storing them', () => {
    const { readings, blanks } = mapExposition(text, { now: NOW });
    assert.equal(valueOf(readings, 'hbm.temperature', '1'), undefined);
    assert.equal(blanks, 1);
  });

  it('reports throttling only for the thermal bits of the clock event reasons', () => {
    const { readings } = mapExposition(text, { now: NOW });
    assert.equal(valueOf(readings, 'gpu.throttle', '0'), 1); // sw power cap + sw thermal
    assert.equal(valueOf(readings, 'gpu.throttle', '1'), 0); // idle
  });

  it('stamps samples without a timestamp with the scrape time, and keeps exposed timestamps', () => {
    const { readings } = mapExposition('DCGM_FI_DEV_GPU_TEMP{gpu="0"} 61\nDCGM_FI_DEV_POWER_USAGE{gpu="0"} 300 1766999999000\n', { now: NOW });
    assert.equal(readings.find((r) => r.metric === 'gpu.temperature')?.ts, NOW);
    assert.equal(readings.find((r) => r.metric === 'gpu.power')?.ts, 1766999999000);
  });

  it('applies a user mapping with a scale and a custom metric', () => {
    const mappings = checkMappings([
      { name: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', metric: 'gpu.utilization', scale: '100' },
      { name: 'DCGM_FI_DEV_FB_USED', metric: 'gpu.memoryUsed', layer: 'gpu', unit: 'MiB' },
    ]);
    const { readings } = mapExposition(text, { now: NOW, mappings });
    assert.equal(valueOf(readings, 'gpu.utilization', '0'), 95.7);
    const fb = readings.find((r) => r.metric === 'gpu.memoryUsed' && r.tags.gpu === '0');
    assert.deepEqual([fb?.value, fb?.unit, fb?.layer], [76012, 'MiB', 'gpu']);
  });

  it('adds the configured tags, which win over label tags', () => {
    const { readings } = mapExposition(text, { now: NOW, tags: { server: 'rack3-node7', rack: 'R3' } });
    assert.equal(readings[0].tags.server, 'rack3-node7');
    assert.equal(readings[0].tags.rack, 'R3');
  });

  it('names mapped metrics the endpoint does not expose, but not the other spelling of one it does', () => {
    const { missing } = mapExposition(text, { now: NOW, mappings: [...DCGM_MAPPINGS, { name: 'DCGM_FI_DEV_FAN_SPEED', metric: 'server.fan' }] });
    assert.deepEqual(missing, ['DCGM_FI_DEV_FAN_SPEED']);
  });

  it('accepts spaces between labels, as in hand-written exposition text', () => {
    const { readings } = mapExposition('DCGM_FI_DEV_SM_CLOCK{gpu="0", UUID="GPU-a, b"} 139\n', { now: NOW });
    assert.equal(readings[0].value, 139);
    assert.equal(readings[0].tags.uuid, 'GPU-a, b');
  });

  it('keeps label values with spaces and escaped quotes intact when tidying', () => {
    assert.equal(tidyLabelSpacing('m{a="x, \\"y\\" z", b="1"} 2'), 'm{a="x, \\"y\\" z",b="1"} 2');
  });

  it('refuses text that is not in the exposition format', () => {
    assert.throws(() => mapExposition('DCGM_FI_DEV_GPU_TEMP{gpu="0" 78\n', { now: NOW }), (e: unknown) => e instanceof AdapterError && e.code === 'ERR_BAD_OUTPUT');
  });
});

describe('DCGM blank values', () => {
  it('recognises the int32, int64 and fp64 sentinels', () => {
    assert.ok(isDcgmBlank(2147483632));
    assert.ok(isDcgmBlank(Number('9223372036854775794')));
    assert.ok(isDcgmBlank(140737488355328));
  });

  it('keeps large real counters such as total energy in mJ', () => {
    assert.ok(!isDcgmBlank(251885217371));
  });
});

describe('mapping table from a dialog', () => {
  it('skips empty rows left in the editor', () => {
    assert.deepEqual(checkMappings([{ name: '', metric: '' }]), []);
  });

  it('refuses a name that is not a Prometheus metric name', () => {
    assert.throws(() => checkMappings([{ name: 'DCGM FI', metric: 'gpu.power' }]), /not a Prometheus metric name/);
  });

  it('asks for layer and unit of a metric outside the catalogue', () => {
    assert.throws(() => checkMappings([{ name: 'DCGM_FI_DEV_FB_USED', metric: 'gpu.fb' }]), /not in the catalogue/);
  });

  it('refuses an unknown layer', () => {
    assert.throws(() => checkMappings([{ name: 'X', metric: 'x.y', layer: 'floor' }]), /layer "floor"/);
  });
});
