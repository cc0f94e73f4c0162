// The energy nodes' real-infrastructure actuators, ready for their dialogs:
// - GPU DVFS → `NvidiaSmiClocks`: an instance → GPUs table; each decision locks that instance's
//   GPUs; close resets every instance it touched.
// - Cluster Scaler → `KubernetesFleet`: each decision scales the Deployment/StatefulSet; ready
//   replicas are read back on an interval and reported as `activeServers`.
// Both take the dialog's values as the editor stores them (strings) and throw AdapterError on a
// config that cannot work, so the node can show it before the first decision.
import { AdapterError } from './errors';
import { GpuClockActuator } from './gpu-clocks';
import { KubernetesScaler, type KubernetesOptions, type ScaleResult, type ScaleState, type WorkloadKind } from './kubernetes';
import { NvidiaSmi, parseGpuList } from './nvidia-smi';

export interface InstanceGpuRow {
  instance: string;
  /** e.g. "0-3" or "4,5,6,7". */
  gpus: string;
}

export interface NvidiaSmiClocksConfig {
  smiPath?: string;
  instanceGpus: InstanceGpuRow[];
  /** Limit for one nvidia-smi call, s (default 5, so close fits in Node-RED's 15 s). */
  timeoutS?: number | string;
  /** Reset the clocks on close (default true). */
  resetOnClose?: boolean;
  env?: NodeJS.ProcessEnv;
}

export class NvidiaSmiClocks {
  private readonly byInstance = new Map<string, GpuClockActuator>();

  constructor(cfg: NvidiaSmiClocksConfig) {
    const timeoutS = cfg.timeoutS === undefined || cfg.timeoutS === '' ? 5 : Number(cfg.timeoutS);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new AdapterError('ERR_BAD_CONFIG', `"${cfg.timeoutS}" is not a time limit in seconds`);
    const smi = new NvidiaSmi({ binary: cfg.smiPath, timeoutMs: timeoutS * 1000, env: cfg.env });
    const owner = new Map<number, string>();
    for (const row of cfg.instanceGpus ?? []) {
      const id = String(row?.instance ?? '').trim();
      if (!id && !String(row?.gpus ?? '').trim()) continue;
      if (!id) throw new AdapterError('ERR_BAD_CONFIG', `GPUs "${row.gpus}" have no instance name`);
      if (this.byInstance.has(id)) throw new AdapterError('ERR_BAD_CONFIG', `instance "${id}" is listed twice`);
      const gpus = parseGpuList(row.gpus);
      if (!gpus.length) throw new AdapterError('ERR_BAD_CONFIG', `instance "${id}" has no GPUs: list its GPU indices, e.g. 0-3`);
      for (const g of gpus) {
        // Two instances locking one GPU would undo each other's clock.
        if (owner.has(g)) throw new AdapterError('ERR_BAD_CONFIG', `GPU ${g} is listed for both "${owner.get(g)}" and "${id}"`);
        owner.set(g, id);
      }
      this.byInstance.set(id, new GpuClockActuator(smi, gpus, { resetOnClose: cfg.resetOnClose !== false }));
    }
    if (!this.byInstance.size) throw new AdapterError('ERR_BAD_CONFIG', 'the nvidia-smi actuator needs at least one instance with its GPUs');
  }

  instances(): string[] {
    return [...this.byInstance.keys()];
  }

  gpusOf(instance: string): number[] | undefined {
    return this.byInstance.get(instance)?.gpus;
  }

  /** Locks the instance's GPUs at `mhz`; resolves with the clock in force. */
  apply(instance: string, mhz: number): Promise<number> {
    const act = this.byInstance.get(instance);
    if (!act) return Promise.reject(new AdapterError('ERR_MISSING', `instance "${instance}" has no GPUs in the nvidia-smi table: add a row for it`));
    return act.set(mhz);
  }

  /** Resets every instance this actuator locked (failures are collected, not thrown one by one). */
  async close(): Promise<void> {
    const results = await Promise.allSettled([...this.byInstance.values()].map((a) => a.close()));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) throw failed[0].reason;
  }
}

export interface KubernetesFleetConfig extends Omit<KubernetesOptions, 'kind'> {
  kind: WorkloadKind | string;
  /** Seconds between reads of the ready replicas (0: only after a scale); default 15. */
  readIntervalS?: number | string;
}

export interface FleetHooks {
  /** Ready replicas: the fleet's `activeServers`. */
  ready(state: ScaleState): void;
  error(err: AdapterError): void;
}

export class KubernetesFleet {
  readonly scaler: KubernetesScaler;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private lastTarget?: number;

  constructor(cfg: KubernetesFleetConfig, private readonly hooks: FleetHooks) {
    const kind = cfg.kind === 'StatefulSet' ? 'StatefulSet' : cfg.kind === 'Deployment' || !cfg.kind ? 'Deployment' : undefined;
    if (!kind) throw new AdapterError('ERR_BAD_CONFIG', `kind must be Deployment or StatefulSet, got ${JSON.stringify(cfg.kind)}`);
    this.scaler = new KubernetesScaler({ ...cfg, kind, namespace: cfg.namespace || undefined, context: cfg.context || undefined });
    const every = cfg.readIntervalS === undefined || cfg.readIntervalS === '' ? 15 : Number(cfg.readIntervalS);
    if (!Number.isFinite(every) || every < 0) throw new AdapterError('ERR_BAD_CONFIG', `"${cfg.readIntervalS}" is not a number of seconds`);
    if (every > 0) {
      this.timer = setInterval(() => void this.refresh(), every * 1000);
      this.timer.unref?.();
    }
  }

  /** Reads the ready replicas now and reports them. */
  async refresh(): Promise<ScaleState | undefined> {
    if (this.closed) return undefined;
    try {
      const s = await this.scaler.read();
      if (!this.closed) this.hooks.ready(s);
      return s;
    } catch (err) {
      if (!this.closed) this.hooks.error(err instanceof AdapterError ? err : new AdapterError('ERR_FAILED', String(err)));
      return undefined;
    }
  }

  /** Scales to `target` (no API write when it is already the count); reports the ready replicas after. */
  async apply(target: number): Promise<ScaleResult> {
    if (this.closed) throw new AdapterError('ERR_BAD_CONFIG', 'the Kubernetes actuator is closed');
    const r = await this.scaler.scale(target);
    this.lastTarget = target;
    if (!this.closed) this.hooks.ready(r);
    return r;
  }

  get target(): number | undefined {
    return this.lastTarget;
  }

  /** Stops reading. The replica count stays as it is: scaling in on redeploy would drop traffic. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
  }
}
