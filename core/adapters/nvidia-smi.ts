// GPU telemetry and SM clocks through NVIDIA's `nvidia-smi`, the one tool every GPU host has.
//
// Telemetry: one `--query-gpu=… --format=csv,noheader,nounits` call returns a line per GPU;
// each line becomes the suite's GPU readings (catalogue metric names, tag `gpu` = index).
// Fields a GPU does not report come back as "[N/A]" or "[Not Supported]" and are left out,
// never turned into zeros. Drivers from R535 on call throttle reasons "clock event reasons";
// older ones only know `clocks_throttle_reasons.*`: we ask for the new name and fall back once.
//
// Clocks: `-i <ids> -lgc f,f` pins the SM clock of the listed GPUs, `-i <ids> -rgc` gives the
// clock back to the driver. Both need root on the host, and in a container also CAP_SYS_ADMIN;
// the refusal (exit 4) becomes an ERR_PERMISSION error that says so.
//
// Every call goes through execFile (no shell), has a time limit, and waits for earlier calls
// that touch the same GPU: nvidia-smi calls on one device are not meant to race, and a lock
// must not overtake the query that decided it.
import { execFile } from 'child_process';
import { METRICS, type Reading } from '../telemetry/catalogue';
import { AdapterError } from './errors';

export const EVENT_REASONS_FIELD = 'clocks_event_reasons.active';
export const THROTTLE_REASONS_FIELD = 'clocks_throttle_reasons.active';

/** Fields we ask for, in order. `name` is last because only it could ever contain a comma. */
const FIELDS_BEFORE_REASONS = ['index', 'uuid', 'power.draw', 'clocks.sm', 'clocks.max.sm', 'temperature.gpu', 'temperature.memory', 'utilization.gpu'];

/** Bits of the clock event (throttle) reasons mask, as NVML defines them. */
export const CLOCK_EVENT_REASONS: Array<[number, string]> = [
  [0x1, 'gpu_idle'],
  [0x2, 'applications_clocks_setting'],
  [0x4, 'sw_power_cap'],
  [0x8, 'hw_slowdown'],
  [0x10, 'sync_boost'],
  [0x20, 'sw_thermal_slowdown'],
  [0x40, 'hw_thermal_slowdown'],
  [0x80, 'hw_power_brake_slowdown'],
  [0x100, 'display_clock_setting'],
];
/** The reasons that mean "too hot": what the catalogue's `gpu.throttle` reports. */
export const THERMAL_REASONS_MASK = 0x20 | 0x40;

/** One GPU as one query line describes it; fields the GPU did not report are undefined. */
export interface GpuSample {
  index: number;
  uuid?: string;
  name?: string;
  powerW?: number;
  smClockMHz?: number;
  maxSmClockMHz?: number;
  gpuTempC?: number;
  memTempC?: number;
  utilizationPct?: number;
  /** Clock event reasons bitmask (lower 32 bits); undefined when not reported. */
  reasonsMask?: number;
  /** Names of the set bits of `reasonsMask`. */
  reasons: string[];
}

export interface NvidiaSmiOptions {
  /** Path or name (looked up on PATH) of the program; default `nvidia-smi`. */
  binary?: string;
  /** Limit for one call, ms (default 10 000; nvidia-smi can take seconds on a busy 8-GPU host). */
  timeoutMs?: number;
  /** Environment of the child (default: this process's); its PATH is where `binary` is looked up. */
  env?: NodeJS.ProcessEnv;
  /** Tags added to every reading (e.g. `{ server: 'gpu-node-07' }`). */
  tags?: Record<string, string>;
  /** Clock for reading timestamps (ms since the epoch). */
  now?: () => number;
}

interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs jobs so that two jobs sharing a GPU never overlap, while jobs on different GPUs do.
 * The key `*` (a query without `-i`) touches every GPU.
 */
class GpuLanes {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(keys: string[], job: () => Promise<T>): Promise<T> {
    const everything = keys.includes('*');
    const before = everything ? [...this.tails.values()] : [...keys, '*'].map((k) => this.tails.get(k)).filter((p): p is Promise<void> => !!p);
    const result = Promise.all(before).then(job);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    const own = everything ? ['*'] : keys;
    for (const k of own) this.tails.set(k, settled);
    void settled.then(() => {
      for (const k of own) if (this.tails.get(k) === settled) this.tails.delete(k);
    });
    return result;
  }
}

export class NvidiaSmi {
  readonly binary: string;
  readonly timeoutMs: number;
  private readonly env?: NodeJS.ProcessEnv;
  private readonly tags: Record<string, string>;
  private readonly now: () => number;
  private readonly lanes = new GpuLanes();
  /** The reasons field this driver accepts; null once neither spelling is accepted. */
  private reasonsField: string | null = EVENT_REASONS_FIELD;

  constructor(opts: NvidiaSmiOptions = {}) {
    this.binary = opts.binary && opts.binary.trim() ? opts.binary.trim() : 'nvidia-smi';
    this.timeoutMs = opts.timeoutMs && opts.timeoutMs > 0 ? opts.timeoutMs : 10_000;
    this.env = opts.env;
    this.tags = { ...(opts.tags ?? {}) };
    this.now = opts.now ?? Date.now;
  }

  /** The argument list of a telemetry query (for logs and tests). */
  queryArgs(gpus?: number[]): string[] {
    const fields = [...FIELDS_BEFORE_REASONS, ...(this.reasonsField ? [this.reasonsField] : []), 'name'];
    return [...gpuSelector(gpus), `--query-gpu=${fields.join(',')}`, '--format=csv,noheader,nounits'];
  }

  /** One sample per GPU (all GPUs, or those listed). */
  async query(gpus?: number[]): Promise<GpuSample[]> {
    const keys = gpus && gpus.length ? gpus.map(String) : ['*'];
    return this.lanes.run(keys, async () => {
      // At most two fallbacks: event reasons → throttle reasons → no reasons field at all.
      for (;;) {
        const args = this.queryArgs(gpus);
        try {
          const { stdout } = await this.exec(args);
          return parseQueryCsv(stdout, this.reasonsField !== null);
        } catch (err) {
          if (err instanceof AdapterError && err.code === 'ERR_BAD_CONFIG' && this.reasonsField && err.message.includes(this.reasonsField)) {
            this.reasonsField = this.reasonsField === EVENT_REASONS_FIELD ? THROTTLE_REASONS_FIELD : null;
            continue;
          }
          throw err;
        }
      }
    });
  }

  /** The query as suite readings (catalogue names and layers). */
  async readings(gpus?: number[]): Promise<Reading[]> {
    const samples = await this.query(gpus);
    const ts = this.now();
    return samples.flatMap((s) => sampleReadings(s, ts, this.tags));
  }

  /** Pins the SM clock of `gpus` to [minMHz, maxMHz] (`-lgc min,max`); returns what nvidia-smi said. */
  async lockClocks(gpus: number[], minMHz: number, maxMHz: number = minMHz): Promise<string> {
    const ids = requireGpus(gpus);
    const lo = requireMHz(minMHz, 'minimum clock');
    const hi = requireMHz(maxMHz, 'maximum clock');
    if (hi < lo) throw new AdapterError('ERR_BAD_CONFIG', `the maximum clock (${hi} MHz) is below the minimum (${lo} MHz)`);
    const args = [...gpuSelector(ids), '-lgc', `${lo},${hi}`];
    return this.lanes.run(ids.map(String), async () => (await this.exec(args)).stdout.trim());
  }

  /** Gives the SM clock of `gpus` back to the driver (`-rgc`). */
  async resetClocks(gpus: number[]): Promise<string> {
    const ids = requireGpus(gpus);
    const args = [...gpuSelector(ids), '-rgc'];
    return this.lanes.run(ids.map(String), async () => (await this.exec(args)).stdout.trim());
  }

  private exec(args: string[]): Promise<RunResult> {
    const command = [this.binary, ...args].join(' ');
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        args,
        { timeout: this.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024, env: this.env, windowsHide: true, encoding: 'utf8' },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr });
          reject(explainFailure(err, String(stdout ?? ''), String(stderr ?? ''), command, this.binary, this.timeoutMs, args));
        },
      );
    });
  }
}

function gpuSelector(gpus?: number[]): string[] {
  return gpus && gpus.length ? ['-i', gpus.join(',')] : [];
}

function requireGpus(gpus: number[]): number[] {
  if (!Array.isArray(gpus) || gpus.length === 0) throw new AdapterError('ERR_BAD_CONFIG', 'no GPU index given: list the GPUs of the instance (e.g. 0,1,2,3)');
  for (const g of gpus) {
    if (!Number.isInteger(g) || g < 0) throw new AdapterError('ERR_BAD_CONFIG', `GPU index must be a whole number ≥ 0, got ${JSON.stringify(g)}`);
  }
  return [...new Set(gpus)];
}

function requireMHz(v: number, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new AdapterError('ERR_BAD_CONFIG', `${what} must be a positive number of MHz, got ${JSON.stringify(v)}`);
  return Math.round(v);
}

/** Parses a GPU list as a person writes it: "0,1,2,3", "0-3", "0-1, 6". */
export function parseGpuList(text: string | number[] | undefined): number[] {
  if (Array.isArray(text)) return requireGpus(text);
  const out: number[] = [];
  for (const part of String(text ?? '').split(/[\s,;]+/).filter(Boolean)) {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      const a = Number(range[1]);
      const b = Number(range[2]);
      if (b < a || b - a > 1024) throw new AdapterError('ERR_BAD_CONFIG', `bad GPU range "${part}"`);
      for (let i = a; i <= b; i++) out.push(i);
    } else if (/^\d+$/.test(part)) out.push(Number(part));
    else throw new AdapterError('ERR_BAD_CONFIG', `bad GPU index "${part}": use numbers like 0,1 or a range like 0-3`);
  }
  return out.length ? requireGpus(out) : [];
}

/** A number, or undefined for nvidia-smi's "[N/A]", "[Not Supported]", "[Unknown Error]" and friends. */
export function csvNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const t = text.trim();
  if (t === '' || t.startsWith('[') || /^n\/a$/i.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

function csvText(text: string | undefined): string | undefined {
  const t = text?.trim();
  return t && !t.startsWith('[') && !/^n\/a$/i.test(t) ? t : undefined;
}

function reasonsOf(text: string | undefined): number | undefined {
  const t = text?.trim();
  if (!t || !/^0x[0-9a-f]+$/i.test(t)) return undefined;
  // 64-bit mask; every defined bit is in the lower 32.
  return Number(BigInt(t) & 0xffffffffn);
}

/** Parses `--format=csv,noheader,nounits` output of our query (one line per GPU). */
export function parseQueryCsv(stdout: string, withReasons: boolean): GpuSample[] {
  const fixed = FIELDS_BEFORE_REASONS.length + (withReasons ? 1 : 0);
  const samples: GpuSample[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const cells = line.split(',');
    if (cells.length < fixed + 1) throw new AdapterError('ERR_BAD_OUTPUT', `nvidia-smi printed a line with ${cells.length} fields where ${fixed + 1} were asked for: "${line.slice(0, 200)}"`);
    const index = csvNumber(cells[0]);
    if (index === undefined || !Number.isInteger(index)) throw new AdapterError('ERR_BAD_OUTPUT', `nvidia-smi printed a line without a GPU index: "${line.slice(0, 200)}"`);
    const mask = withReasons ? reasonsOf(cells[8]) : undefined;
    samples.push({
      index,
      uuid: csvText(cells[1]),
      powerW: csvNumber(cells[2]),
      smClockMHz: csvNumber(cells[3]),
      maxSmClockMHz: csvNumber(cells[4]),
      gpuTempC: csvNumber(cells[5]),
      memTempC: csvNumber(cells[6]),
      utilizationPct: csvNumber(cells[7]),
      reasonsMask: mask,
      reasons: mask === undefined ? [] : CLOCK_EVENT_REASONS.filter(([bit]) => (mask & bit) !== 0).map(([, name]) => name),
      name: csvText(cells.slice(fixed).join(',')),
    });
  }
  return samples;
}

function reading(metric: string, value: number | undefined, ts: number, tags: Record<string, string>): Reading[] {
  if (value === undefined) return [];
  const info = METRICS[metric];
  return [{ layer: info.layer, metric, value, unit: info.unit, ts, tags }];
}

/** The suite's readings for one GPU sample. */
export function sampleReadings(s: GpuSample, ts: number, extraTags: Record<string, string> = {}): Reading[] {
  const tags: Record<string, string> = { ...extraTags, gpu: String(s.index) };
  if (s.uuid) tags.uuid = s.uuid;
  if (s.name) tags.model = s.name;
  return [
    ...reading('gpu.power', s.powerW, ts, tags),
    ...reading('gpu.clock', s.smClockMHz, ts, tags),
    ...reading('gpu.temperature', s.gpuTempC, ts, tags),
    ...reading('hbm.temperature', s.memTempC, ts, tags),
    ...reading('gpu.utilization', s.utilizationPct, ts, tags),
    ...reading('gpu.throttle', s.reasonsMask === undefined ? undefined : (s.reasonsMask & THERMAL_REASONS_MASK) !== 0 ? 1 : 0, ts, tags),
  ];
}

/** What nvidia-smi said, in one line short enough for a status or a log. */
function said(stdout: string, stderr: string): string {
  const text = `${stderr}\n${stdout}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^Terminating early due to previous errors/i.test(l))
    .join(' ');
  return text.length > 300 ? text.slice(0, 297) + '…' : text;
}

interface ExecFailure {
  code?: string | number | null;
  killed?: boolean;
  signal?: NodeJS.Signals | string | null;
  message: string;
}

function explainFailure(err: ExecFailure, stdout: string, stderr: string, command: string, binary: string, timeoutMs: number, args: string[]): AdapterError {
  const sets = args.includes('-lgc') || args.includes('-rgc');
  const errno = typeof err.code === 'string' ? err.code : undefined;
  if (errno === 'ENOENT') {
    const where = binary.includes('/') ? `at "${binary}"` : `"${binary}" on the PATH`;
    return new AdapterError(
      'ERR_NOT_FOUND',
      `nvidia-smi was not found (looked for ${where}). Install the NVIDIA driver utilities on this host; in a container, run it with the NVIDIA Container Toolkit and NVIDIA_DRIVER_CAPABILITIES including "utility"; or set the path to nvidia-smi in the node.`,
      command,
    );
  }
  if (errno === 'EACCES') return new AdapterError('ERR_PERMISSION', `nvidia-smi at "${binary}" cannot be executed by this user (EACCES): check the file's permissions.`, command);
  if (err.killed || (err.signal && errno === undefined)) {
    return new AdapterError('ERR_TIMEOUT', `${command} did not finish within ${timeoutMs} ms and was stopped; the GPU driver may be busy or hung (check \`nvidia-smi\` by hand and the kernel log).`, command);
  }
  const status = typeof err.code === 'number' ? err.code : undefined;
  const words = said(stdout, stderr);
  if (status === 4 || /does not have permission|insufficient permissions|requires root/i.test(words)) {
    const what = sets ? 'change GPU clocks' : 'run this query';
    return new AdapterError(
      'ERR_PERMISSION',
      `nvidia-smi may not ${what} here (exit ${status ?? '?'}): "${words}". ` +
        (sets
          ? 'Locking clocks (-lgc/-rgc) needs root on the GPU host; in a container root is not enough, the container also needs the SYS_ADMIN capability (docker run --cap-add SYS_ADMIN; Kubernetes securityContext.capabilities.add: ["SYS_ADMIN"]). Or choose the "message only" actuator and let a privileged agent apply the clock.'
          : 'Run Node-RED as a user allowed to use the GPU (member of the group owning /dev/nvidia*).'),
      command,
      status,
    );
  }
  if (status === 2 && /not a valid field/i.test(words)) return new AdapterError('ERR_BAD_CONFIG', `nvidia-smi rejected the query: "${words}"`, command, status);
  if (status === 9 || /couldn't communicate with the NVIDIA driver|driver not loaded/i.test(words)) {
    return new AdapterError('ERR_UNSUPPORTED', `nvidia-smi cannot reach the NVIDIA driver (exit ${status ?? '?'}): "${words}". Is the driver loaded, and are the GPU devices passed into this container?`, command, status);
  }
  if (status === 3 || /not supported/i.test(words)) {
    return new AdapterError('ERR_UNSUPPORTED', `this GPU or driver does not support ${sets ? 'locking clocks (needs Volta or newer and a recent driver)' : 'that query'} (exit ${status ?? '?'}): "${words}"`, command, status);
  }
  if (status === 6 || /no devices were found|invalid .*(id|index)/i.test(words)) {
    return new AdapterError('ERR_MISSING', `nvidia-smi found no GPU for ${args.includes('-i') ? `"-i ${args[args.indexOf('-i') + 1]}"` : 'the query'} (exit ${status ?? '?'}): "${words}"`, command, status);
  }
  return new AdapterError('ERR_FAILED', `${command} failed (exit ${status ?? errno ?? '?'}): "${words || err.message}"`, command, status);
}
