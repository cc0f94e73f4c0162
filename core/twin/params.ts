// Every number of the facility twin (design/twin.md) in one typed object, each with its unit
// and its source: [P] paper or datasheet, [S] secondary source, [E] engineering estimate.
// Benchmarks print the object they ran with, so a result always names its physics.

export type TensorParallel = 2 | 4 | 8;

export interface TpScaling {
  /** Multiplier on the TP8 prefill rate (dimensionless). */
  prefillRate: number;
  /** Multiplier on the TP8 decode step time (dimensionless). */
  stepTime: number;
}

export interface TwinParams {
  cluster: {
    /** Servers installed on the floor (count). [E] */
    servers: number;
    /** Servers powered and serving at t = 0 (count). [E] */
    initialActiveServers: number;
    /** Servers per rack (count). [E] kept low because twin.md's rack-air law is 0.004 K/W. */
    serversPerRack: number;
    /** GPUs per server (count). [P] DGX H100: 8 × H100 SXM */
    gpusPerServer: number;
    /** Tensor parallelism every server starts with. [P] DynamoLLM uses TP2/4/8 */
    initialTensorParallel: TensorParallel;
    /** SM clock set a controller may choose from (MHz). [S] profiled 800–1980 in 200 MHz steps */
    clockSetMHz: readonly number[];
    /** Highest SM clock (MHz). [P] H100 SXM boost clock */
    maxClockMHz: number;
    /** Power-on to serving (s), spent at host + static GPU power. [E] */
    bootS: number;
    /** Host power of a powered server: CPUs, NICs, fans (W). [E] DGX H100 max 10.2 kW */
    hostPowerW: number;
  };
  power: {
    /** Per-GPU power with the model loaded, idle (W). [S] 140–145 W allocated, 75 W truly idle */
    staticW: number;
    /** Per-GPU dynamic power at u = 1, f = max clock (W). [P] 700 W TDP − static */
    dynamicW: number;
    /** Exponent of (f / f_max) in the dynamic power (dimensionless). [E] V–f scaling */
    clockExponent: number;
    /** Utilisation while prefilling (0–1). [S] */
    prefillUtil: number;
    /** Decode utilisation = base + slope · min(1, b / batchRef) (0–1). [S] decode draws 137–300 W */
    decodeUtilBase: number;
    decodeUtilSlope: number;
    /** Batch at which decode utilisation saturates (sequences). [S] */
    decodeUtilBatchRef: number;
  };
  timing: {
    /** Prefill rate of a TP8 instance at max clock (tokens/s), ∝ f. [E] Llama2-70B class */
    prefillTokensPerS: number;
    /** Decode step = (base + perSeq · b) · (fixedShare + clockShare · f_max / f) (ms). [E] */
    decodeBaseMs: number;
    decodePerSeqMs: number;
    /** Share of the step time that does not scale with the clock (dimensionless). [E]; [S] 1.6 GHz ≈ same throughput */
    decodeFixedShare: number;
    decodeClockShare: number;
    /** TP4 / TP2 relative to TP8. [E] */
    tp: Record<TensorParallel, TpScaling>;
    /** Max running sequences per instance (count). [E] vLLM default */
    maxRunning: number;
    /** Prefill tokens per continuous-batching iteration (tokens). [E] vLLM-like chunked prefill */
    prefillChunkTokens: number;
    /** Pause of an instance per clock change (s). [S] nvmlDeviceSetGpuLockedClocks p99 13 ms */
    dvfsPauseS: number;
    /** Pause of a server's instances per tensor-parallel change (s). [S] 50–100 ms over NVLink */
    reshardPauseS: number;
  };
  slo: {
    /** TTFT floor (s). [E] keeps short prompts from failing on any shared instance */
    ttftFloorS: number;
    /** TTFT ≤ factor × isolated TTFT on an idle TP8 instance at max clock. [S] DynamoLLM 5× */
    ttftFactor: number;
    /** Mean TBT ≤ factor × single-sequence step time at max clock. [S] DynamoLLM 5× */
    tbtFactor: number;
  };
  workload: {
    /** Arrival-rate multiplier of trace replay (dimensionless). [E] ~55 req/s on the Conversation trace */
    rateScale: number;
    /** Width of the uniform jitter added to each replayed copy (s). [E] */
    jitterS: number;
  };
  thermal: {
    /** Thermal and cooling integration step (s). [E] coarse: the shortest lag is 15 s */
    stepS: number;
    /** GPU die: T → T_cool,local + kPerW · P_gpu (K/W), lag tau (s). [E] */
    gpuKPerW: number;
    gpuTauS: number;
    /** HBM: T → T_cool,local + kPerW · P_gpu + offset (K/W, K), lag tau (s). [E] */
    hbmKPerW: number;
    hbmOffsetK: number;
    hbmTauS: number;
    /** GPU target (°C). [P] nvidia-smi -q "GPU Target Temperature" */
    gpuTargetC: number;
    /** GPU max operating (°C): above it the clock cap steps down. [P] nvidia-smi -q */
    gpuMaxOperatingC: number;
    /** GPU hardware slowdown (°C): above it the cap is slowdownCapMHz. [P] nvidia-smi -q */
    gpuSlowdownC: number;
    /** GPU shutdown (°C), counted as an event. [P] nvidia-smi -q */
    gpuShutdownC: number;
    /** HBM max (°C). [P] nvidia-smi -q */
    hbmMaxC: number;
    /** Cap change per throttle interval (MHz) and the interval (s). [E] */
    throttleStepMHz: number;
    throttleIntervalS: number;
    /** Clock cap in hardware slowdown (MHz). [E] */
    slowdownCapMHz: number;
    /** Share of a server's heat that goes to the liquid loop (0–1). [E] */
    liquidShare: number;
  };
  cooling: {
    /** Heat carried by water per (L/min · K) (kW). [S] ρ·c_p = 4.16 kJ/(L·K) / 60 */
    waterKWPerLpmK: number;
    /** CDU flow setpoint range (L/min). [P] Vertiv CoolChip CDU 600 */
    flowMinLpm: number;
    flowMaxLpm: number;
    /** Pump ramp limit (L/min per minute). [E] */
    flowRampLpmPerMin: number;
    /** Supply temperature setpoint range (°C). [S] ASHRAE W17–W45; the floor is the dew-point floor */
    supplyMinC: number;
    supplyMaxC: number;
    /** Supply temperature follows its setpoint with this first-order lag (s). [S] valve PID */
    supplyTauS: number;
    /** Transport lag from the cold plates to the CDU return sensor (s). [E] */
    returnLagS: number;
    /** Pump power = ratedKW · (flow / ratedLpm)^3, speed floored at minSpeed (kW, L/min, 0–1). [S] affinity laws */
    pumpRatedKW: number;
    pumpRatedLpm: number;
    pumpMinSpeed: number;
    /** Chiller COP = base · (1 + perK · (T_supply − refC)) (dimensionless, 1/K, °C). [S] 2–3 % per K */
    copBase: number;
    copPerK: number;
    copRefC: number;
    /** Chilled water behind the CDU valve (°C); only sets the reported valve position. [E] */
    chilledWaterC: number;
    /** Rack inlet air → baseC + kPerW · air-side heat of the rack, lag tau (°C, K/W, s). [E] */
    rackAirBaseC: number;
    rackAirKPerW: number;
    rackAirTauS: number;
    /** Heartbeat older than this puts the CDU in Local mode (s). twin.md §3 */
    heartbeatTimeoutS: number;
    /** The CDU's local setpoints (L/min, °C). twin.md §3 */
    localFlowLpm: number;
    localSupplyC: number;
    /** LowFlowAlarm below this flow (L/min) or above this loop ΔT (K). [E] */
    lowFlowAlarmLpm: number;
    lowFlowAlarmDeltaTK: number;
    /** Server fan speed = min + (max − min) · air heat / maxAirW (%, %, W). [E] reported only */
    fanMinPct: number;
    fanMaxPct: number;
    fanFullAirW: number;
  };
}

export const DEFAULT_PARAMS: TwinParams = {
  cluster: {
    servers: 12, // count [E]
    initialActiveServers: 12, // count [E]
    serversPerRack: 2, // count [E]
    gpusPerServer: 8, // count [P]
    initialTensorParallel: 8, // [P]
    clockSetMHz: [800, 1000, 1200, 1400, 1600, 1800, 1980], // MHz [S]
    maxClockMHz: 1980, // MHz [P]
    bootS: 180, // s [E]
    hostPowerW: 1200, // W [E]
  },
  power: {
    staticW: 120, // W per GPU [S]
    dynamicW: 580, // W per GPU [P]
    clockExponent: 2.4, // [E]
    prefillUtil: 1.0, // [S]
    decodeUtilBase: 0.25, // [S]
    decodeUtilSlope: 0.25, // [S]
    decodeUtilBatchRef: 128, // sequences [S]
  },
  timing: {
    prefillTokensPerS: 16000, // tokens/s, TP8 at 1980 MHz [E]
    decodeBaseMs: 15, // ms [E]
    decodePerSeqMs: 0.15, // ms per running sequence [E]
    decodeFixedShare: 0.7, // [E]
    decodeClockShare: 0.3, // [E]
    tp: {
      8: { prefillRate: 1, stepTime: 1 }, // [E]
      4: { prefillRate: 0.5, stepTime: 1.6 }, // [E]
      2: { prefillRate: 0.25, stepTime: 2.6 }, // [E]
    },
    maxRunning: 256, // sequences [E]
    prefillChunkTokens: 2048, // tokens per iteration [E]
    dvfsPauseS: 0.01, // s [S]
    reshardPauseS: 0.1, // s [S]
  },
  slo: {
    ttftFloorS: 0.25, // s [E]
    ttftFactor: 5, // [S]
    tbtFactor: 5, // [S]
  },
  workload: {
    rateScale: 10, // [E]
    jitterS: 1, // s [E]
  },
  thermal: {
    stepS: 1, // s [E]
    gpuKPerW: 0.06, // K/W [E]
    gpuTauS: 15, // s [E]
    hbmKPerW: 0.05, // K/W [E]
    hbmOffsetK: 4, // K [E]
    hbmTauS: 20, // s [E]
    gpuTargetC: 83, // °C [P]
    gpuMaxOperatingC: 87, // °C [P]
    gpuSlowdownC: 89, // °C [P]
    gpuShutdownC: 92, // °C [P]
    hbmMaxC: 95, // °C [P]
    throttleStepMHz: 200, // MHz [E]
    throttleIntervalS: 5, // s [E]
    slowdownCapMHz: 800, // MHz [E]
    liquidShare: 0.8, // [E]
  },
  cooling: {
    waterKWPerLpmK: 0.0694, // kW/(L/min·K) [S]
    flowMinLpm: 50, // L/min [P]
    flowMaxLpm: 500, // L/min [P]
    flowRampLpmPerMin: 60, // L/min per min [E]
    supplyMinC: 18, // °C [S]
    supplyMaxC: 45, // °C [S]
    supplyTauS: 60, // s [S]
    returnLagS: 80, // s [E]
    pumpRatedKW: 5, // kW [S]
    pumpRatedLpm: 500, // L/min [S]
    pumpMinSpeed: 0.15, // [S]
    copBase: 5, // [S]
    copPerK: 0.025, // 1/K [S]
    copRefC: 30, // °C [S]
    chilledWaterC: 12, // °C [E]
    rackAirBaseC: 24, // °C [E]
    rackAirKPerW: 0.004, // K/W [E]
    rackAirTauS: 120, // s [E]
    heartbeatTimeoutS: 30, // s [twin.md]
    localFlowLpm: 400, // L/min [twin.md]
    localSupplyC: 25, // °C [twin.md]
    lowFlowAlarmLpm: 60, // L/min [E]
    lowFlowAlarmDeltaTK: 15, // K [E]
    fanMinPct: 30, // % [E]
    fanMaxPct: 100, // % [E]
    fanFullAirW: 2040, // W: 20 % of a DGX H100's 10.2 kW [E]
  },
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
export type TwinParamOverrides = DeepPartial<TwinParams>;

/** The defaults with some numbers replaced; never mutates DEFAULT_PARAMS. */
export function twinParams(overrides: TwinParamOverrides = {}): TwinParams {
  return merge(DEFAULT_PARAMS, overrides) as TwinParams;
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return structuredClone(base);
  if (base === null || typeof base !== 'object' || Array.isArray(base) || over === null || typeof over !== 'object') {
    return structuredClone(over);
  }
  const out: Record<string, unknown> = {};
  const b = base as Record<string, unknown>;
  const o = over as Record<string, unknown>;
  for (const key of new Set([...Object.keys(b), ...Object.keys(o)])) out[key] = merge(b[key], o[key]);
  return out;
}
