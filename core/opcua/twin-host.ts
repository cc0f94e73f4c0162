// The twin as a plant: builds a Facility from user options (a trace file or a generator, rate
// scale, seed, servers), advances it in wall-clock time (optionally accelerated), and, when asked,
// serves its BMS points over OPC UA. Both `llmops-twin` and the `llmops-facility` config node run
// the twin through this one class, so the command line and Node-RED behave the same.
import { EventEmitter } from 'events';
import * as fs from 'fs';
import * as path from 'path';
import { Facility, type IntervalSample } from '../twin/facility';
import { twinParams } from '../twin/params';
import { burstRate, constantRate, loadAzureTrace, rateScale, sineRate, stepRate, type Workload } from '../twin/workload';
import { BmsServer, type BmsServerInfo, type BmsServerOptions } from './bms-server';

export type GeneratorKind = 'trace' | 'constant' | 'sine' | 'step' | 'bursts';

export interface WorkloadChoice {
  /** `trace` replays `trace` (default: the bundled Conversation trace); the others are synthetic. */
  kind: GeneratorKind;
  trace?: string;
  /** Mean arrival rate of a generator (requests/s). */
  ratePerS?: number;
  /** Arrival-rate multiplier of a replayed trace (twin.md §2, default 10). */
  rateScale?: number;
  /** Length of a synthetic workload (s, default 3600). */
  durationS?: number;
  seed: number;
}

export interface TwinHostOptions {
  workload: WorkloadChoice;
  /** Installed servers, all powered at the start (default: the twin's 12). */
  servers?: number;
  /** Simulated seconds per wall-clock second (default 1). */
  speed?: number;
  /** Wall-clock step between advances (ms, default 1000 / max(1, speed) bounded to 100–1000). */
  tickMs?: number;
  /** Serve the BMS over OPC UA with these options (the source is this host's facility). */
  opcua?: Omit<BmsServerOptions, 'source'>;
}

/** Where the bundled Conversation trace lives, from the source tree or from dist/. */
export function bundledTracePath(): string {
  const name = path.join('data', 'azure-llm-2023', 'AzureLLMInferenceTrace_conv.csv');
  for (const up of ['..', path.join('..', '..'), path.join('..', '..', '..')]) {
    const p = path.resolve(__dirname, up, name);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`the bundled trace ${name} is missing from this installation`);
}

export function buildWorkload(w: WorkloadChoice): Workload {
  const seed = w.seed;
  const durationS = w.durationS ?? 3600;
  const rate = w.ratePerS ?? 20;
  switch (w.kind) {
    case 'constant':
      return constantRate(rate, { durationS, seed });
    case 'sine':
      return sineRate(rate, rate * 0.5, Math.max(60, durationS / 2), { durationS, seed });
    case 'step':
      return stepRate(rate * 0.5, rate * 1.5, durationS / 2, { durationS, seed });
    case 'bursts':
      return burstRate(rate * 0.7, rate * 2.5, 300, 30, { durationS, seed });
    case 'trace':
    default:
      return rateScale(loadAzureTrace(w.trace || bundledTracePath()), w.rateScale ?? 10, seed);
  }
}

export function buildFacility(o: Pick<TwinHostOptions, 'workload' | 'servers'>): Facility {
  const servers = o.servers && o.servers > 0 ? Math.round(o.servers) : undefined;
  const params = twinParams(servers ? { cluster: { servers, initialActiveServers: servers } } : {});
  return new Facility(params, buildWorkload(o.workload), o.workload.seed);
}

export interface TickInfo {
  simulatedS: number;
  sample?: IntervalSample;
}

/**
 * Emits `tick` (TickInfo) after every advance, `sample` (IntervalSample) for every simulated
 * second, and `error` when advancing threw (the clock stops).
 */
export class TwinHost extends EventEmitter {
  readonly facility: Facility;
  readonly speed: number;
  private timer?: NodeJS.Timeout;
  private startedWall = 0;
  private startedSim = 0;
  private bms?: BmsServer;
  private lastSample?: IntervalSample;
  private unsubscribe?: () => void;

  constructor(private readonly opts: TwinHostOptions) {
    super();
    this.facility = buildFacility(opts);
    this.speed = opts.speed && opts.speed > 0 ? opts.speed : 1;
    this.unsubscribe = this.facility.onInterval((s) => {
      this.lastSample = s;
      if (this.listenerCount('sample') > 0) this.emit('sample', s);
    });
  }

  /** The OPC UA server's start in progress (settled, never rejects), for stop() to wait on. */
  private starting?: Promise<unknown>;
  private stopped = false;

  /**
   * Starts the OPC UA server, when configured, then the clock. A server that cannot start (port
   * taken) rejects this promise, but the clock runs anyway: the twin goes on without its BMS.
   */
  async start(): Promise<BmsServerInfo | undefined> {
    let info: BmsServerInfo | undefined;
    let failure: unknown;
    // Stopped before it started (a redeploy while it waited for its port): nothing to start.
    if (this.stopped) return undefined;
    if (this.opts.opcua) {
      const bms = new BmsServer({ ...this.opts.opcua, source: this.facility });
      this.bms = bms;
      const starting = bms.start();
      this.starting = starting.catch(() => undefined);
      try {
        info = await starting;
      } catch (err) {
        if (this.bms === bms) this.bms = undefined;
        failure = err;
      }
    }
    // stop() ran while the server was starting (a redeploy): it waited for us; start nothing more.
    if (this.stopped) return undefined;
    this.startedWall = Date.now();
    this.startedSim = this.facility.timeS;
    const tick = this.opts.tickMs ?? Math.min(1000, Math.max(100, 1000 / this.speed));
    this.timer = setInterval(() => this.step(), tick);
    if (failure !== undefined) throw failure;
    return info;
  }

  /** Whether the clock runs (started and not stopped). */
  get running(): boolean {
    return this.timer !== undefined;
  }

  /** The most recent one-second sample (IT kW, cooling kW, servers…), once one has run. */
  get latest(): IntervalSample | undefined {
    return this.lastSample;
  }

  get bmsInfo(): BmsServerInfo | undefined {
    return this.bms?.describe();
  }

  /** Advances the twin to the simulated time the wall clock says it should be at. */
  step(): void {
    const target = this.startedSim + ((Date.now() - this.startedWall) / 1000) * this.speed;
    try {
      this.facility.advance(target);
    } catch (err) {
      this.stopClock();
      this.emit('error', err);
      return;
    }
    this.bms?.refresh();
    this.emit('tick', { simulatedS: this.facility.timeS, sample: this.lastSample } satisfies TickInfo);
  }

  private stopClock(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopClock();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    // A server still starting would listen after we return: let it finish, then shut it down.
    await this.starting;
    const bms = this.bms;
    this.bms = undefined;
    await bms?.stop();
  }
}
