// STAND-IN for NVIDIA's DCGM exporter (no GPU, no DCGM here). It serves `/metrics` the way
// dcgm-exporter does: Prometheus text exposition 0.0.4 from the Go client (`# HELP`/`# TYPE`
// for each counter of the default set, labels gpu/UUID/pci_bus_id/device/modelName/Hostname/
// DCGM_FI_DRIVER_VERSION, plus container/namespace/pod for a GPU a pod holds), DCGM's blank
// sentinel for a field the GPU lacks, and the Go client's content type. Every response carries
// `x-stand-in`. Failures are set with `mode`.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface DcgmGpu {
  gpu: number;
  uuid: string;
  busId: string;
  model: string;
  smClock: number;
  memClock: number;
  /** null: DCGM's "not supported" sentinel (a GPU without an HBM sensor). */
  memTemp: number | null;
  gpuTemp: number;
  powerW: number;
  energyMJ: number;
  util: number;
  memCopyUtil: number;
  fbUsed: number;
  fbFree: number;
  reasons: number;
  grActive: number;
  pod?: { namespace: string; pod: string; container: string };
}

export type DcgmMode = 'ok' | 'html' | 'error-500' | 'forbidden' | 'hang' | 'garbage';

/** DCGM_INT64_BLANK + 2: "not supported". */
export const DCGM_NOT_SUPPORTED = '9223372036854775794';

const COUNTERS: Array<[string, 'gauge' | 'counter', string, (g: DcgmGpu) => number | string]> = [
  ['DCGM_FI_DEV_SM_CLOCK', 'gauge', 'SM clock frequency (in MHz).', (g) => g.smClock],
  ['DCGM_FI_DEV_MEM_CLOCK', 'gauge', 'Memory clock frequency (in MHz).', (g) => g.memClock],
  ['DCGM_FI_DEV_MEMORY_TEMP', 'gauge', 'Memory temperature (in C).', (g) => (g.memTemp === null ? DCGM_NOT_SUPPORTED : g.memTemp)],
  ['DCGM_FI_DEV_GPU_TEMP', 'gauge', 'GPU temperature (in C).', (g) => g.gpuTemp],
  ['DCGM_FI_DEV_POWER_USAGE', 'gauge', 'Power draw (in W).', (g) => g.powerW],
  ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 'counter', 'Total energy consumption since boot (in mJ).', (g) => g.energyMJ],
  ['DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 'counter', 'Total number of PCIe retries.', () => 0],
  ['DCGM_FI_DEV_GPU_UTIL', 'gauge', 'GPU utilization (in %).', (g) => g.util],
  ['DCGM_FI_DEV_MEM_COPY_UTIL', 'gauge', 'Memory utilization (in %).', (g) => g.memCopyUtil],
  ['DCGM_FI_DEV_ENC_UTIL', 'gauge', 'Encoder utilization (in %).', () => 0],
  ['DCGM_FI_DEV_DEC_UTIL', 'gauge', 'Decoder utilization (in %).', () => 0],
  ['DCGM_FI_DEV_XID_ERRORS', 'gauge', 'Value of the last XID error encountered.', () => 0],
  ['DCGM_FI_DEV_FB_FREE', 'gauge', 'Framebuffer memory free (in MiB).', (g) => g.fbFree],
  ['DCGM_FI_DEV_FB_USED', 'gauge', 'Framebuffer memory used (in MiB).', (g) => g.fbUsed],
  ['DCGM_FI_DEV_CLOCKS_EVENT_REASONS', 'gauge', 'Current clock event reasons (bitmask).', (g) => g.reasons],
  ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'gauge', 'Ratio of time the graphics engine is active.', (g) => g.grActive],
];

export function dcgmGpus(): DcgmGpu[] {
  return [
    {
      gpu: 0, uuid: 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52', busId: '00000000:18:00.0', model: 'NVIDIA H100 80GB HBM3',
      smClock: 1755, memClock: 2619, memTemp: 84, gpuTemp: 78, powerW: 612.474, energyMJ: 251885217371, util: 97, memCopyUtil: 61,
      fbUsed: 76012, fbFree: 3546, reasons: 0x4 | 0x20, grActive: 0.957,
      pod: { namespace: 'llm', pod: 'vllm-llama-70b-0', container: 'vllm' },
    },
    {
      gpu: 1, uuid: 'GPU-1b2e9f40-77aa-4c1e-8d2b-3f6a0c9e5d11', busId: '00000000:2A:00.0', model: 'NVIDIA H100 80GB HBM3',
      smClock: 345, memClock: 2619, memTemp: null, gpuTemp: 33, powerW: 71.3, energyMJ: 198004417220, util: 0, memCopyUtil: 0,
      fbUsed: 0, fbFree: 79558, reasons: 0x1, grActive: 0,
    },
  ];
}

export function dcgmText(gpus: DcgmGpu[], hostname = 'gpu-node-07', driver = '550.90.07'): string {
  let out = '';
  for (const [name, type, help, value] of COUNTERS) {
    out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    for (const g of gpus) {
      const labels = [`gpu="${g.gpu}"`, `UUID="${g.uuid}"`, `pci_bus_id="${g.busId}"`, `device="nvidia${g.gpu}"`, `modelName="${g.model}"`, `Hostname="${hostname}"`, `DCGM_FI_DRIVER_VERSION="${driver}"`];
      if (g.pod) labels.push(`container="${g.pod.container}"`, `namespace="${g.pod.namespace}"`, `pod="${g.pod.pod}"`);
      out += `${name}{${labels.join(',')}} ${value(g)}\n`;
    }
  }
  return out;
}

export class FakeDcgmExporter {
  gpus = dcgmGpus();
  hostname = 'gpu-node-07';
  mode: DcgmMode = 'ok';
  /** Headers of every request, in order. */
  readonly requests: Array<{ path: string; headers: http.IncomingHttpHeaders }> = [];
  private readonly server = http.createServer((req, res) => this.handle(req, res));
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<string> {
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/metrics`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.requests.push({ path: req.url ?? '', headers: req.headers });
    res.setHeader('x-stand-in', 'fake-dcgm-exporter (test stand-in, no GPU)');
    if (this.mode === 'hang') return;
    if (req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('404 page not found\n');
      return;
    }
    switch (this.mode) {
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html><body>Grafana</body></html>');
        return;
      case 'error-500':
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('error gathering metrics: DCGM host engine not running\n');
        return;
      case 'forbidden':
        res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('Forbidden\n');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end('DCGM_FI_DEV_GPU_TEMP{gpu="0" 78\n');
        return;
      default:
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(dcgmText(this.gpus, this.hostname));
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
