// The Coolant Valve's decision: flow and supply-temperature setpoints for the heat that is
// coming. Feed-forward: the flow that carries the predicted heat at a loop ΔT
// (Q = 0.0694 kW/(L/min·K) · flow · ΔT). Feedback: the forecast of the hottest GPU at the
// current setpoints, minus what the supply and the coolant rise contribute, is the GPU's own
// rise above its coolant; the supply is then set so that the forecast's upper bound lands on
// the target. Among the ΔT choices, the one with the least pump + chiller power wins: warmer
// supply and less flow while the GPUs have headroom.

import { chillerKW, feedForwardFlow, hotCoolantOffsetK, pumpKW, type PlantModel, type ValveLimits } from './plant';

export interface SetpointInput {
  /** Upper bound of the hottest-GPU forecast at the assumed supply and flow (°C). */
  predictedGpuC: number;
  /** The supply temperature that forecast assumed (°C). */
  assumedSupplyC: number;
  /** The flow that forecast assumed (L/min). */
  assumedFlowLpm: number;
  /** Heat into the liquid loop now and coming (kW); the larger is used. */
  heatKW: number;
  /** Heat at the time of the forecast's assumption (kW), for the coolant-rise part of it. */
  heatNowKW: number;
  /**
   * How far the hottest GPU's coolant sat above the supply in the forecast's assumption (K),
   * when measured (half the hottest server's coolant ΔT); else the plant's hot-spot factor is used.
   */
  coolantOffsetK?: number;
}

export interface SetpointGoal {
  /** Hottest GPU target (°C), ≤ 83 for an H100. */
  gpuTargetC: number;
  /** Fixed loop ΔT (K), or null to choose the ΔT with the least power. */
  deltaTK: number | null;
  /** The supply floor the limits allow now (dew point included) (°C). */
  supplyFloorC: number;
  /**
   * What the ramps let this step write: flow and supply ranges from the last write. With it, the
   * least power is sought among the setpoints that can be written now and keep the bound there
   * (a supply still climbing after a burst is colder than the aim, so less flow does); when none
   * can, the choice is made without it and the ramp limits what is written, as before.
   */
  reach?: { flowLpm: [number, number]; supplyC: [number, number] };
}

export interface SetpointChoice {
  flowLpm: number;
  supplyC: number;
  deltaTK: number;
  /** Predicted pump + chiller power at the choice (kW). */
  powerKW: number;
  /** GPU rise above its coolant the choice was made for (K). */
  gpuRiseK: number;
  /** No choice keeps the forecast under the target: the most cooling the limits allow. */
  infeasible: boolean;
  /** A limit (supply ceiling or floor) bounded the choice. */
  atLimit: boolean;
}

/** The least-power flow and supply that keep the forecast hottest GPU at or under the target. */
export function chooseSetpoints(inp: SetpointInput, goal: SetpointGoal, lim: ValveLimits, plant: PlantModel): SetpointChoice {
  const heat = Math.max(inp.heatKW, inp.heatNowKW, 0);
  const measured = inp.coolantOffsetK !== undefined && Number.isFinite(inp.coolantOffsetK) && inp.coolantOffsetK >= 0 && inp.heatNowKW > 0;
  // The coolant's rise scales with heat / flow: from what was measured, or from the hot-spot factor.
  const offsetAt = (flow: number, q: number) =>
    measured ? ((inp.coolantOffsetK as number) * (inp.assumedFlowLpm / Math.max(1, flow)) * q) / inp.heatNowKW : hotCoolantOffsetK(plant, q, flow);
  const rise = inp.predictedGpuC - inp.assumedSupplyC - offsetAt(inp.assumedFlowLpm, inp.heatNowKW);
  const floor = Math.max(lim.supplyMinC, goal.supplyFloorC);
  if (goal.reach) {
    const reached = chooseReachable(inp, goal, lim, plant, heat, rise, offsetAt, floor);
    if (reached) return reached;
  }
  const candidates: number[] = [];
  if (goal.deltaTK !== null) candidates.push(clamp(feedForwardFlow(plant, heat, goal.deltaTK), lim.flowMinLpm, lim.flowMaxLpm));
  else for (let f = lim.flowMinLpm; f <= lim.flowMaxLpm + 1e-9; f += 5) candidates.push(f);
  let best: SetpointChoice | null = null;
  for (const flow of candidates) {
    const wanted = goal.gpuTargetC - rise - offsetAt(flow, heat);
    const supply = Math.min(lim.supplyMaxC, wanted);
    if (supply < floor) continue;
    const power = pumpKW(plant, flow) + chillerKW(plant, heat, supply);
    if (!best || power < best.powerKW - 1e-9) {
      best = { flowLpm: flow, supplyC: supply, deltaTK: heat / (plant.waterKWPerLpmK * flow), powerKW: power, gpuRiseK: rise, infeasible: false, atLimit: wanted > lim.supplyMaxC };
    }
  }
  if (best) return best;
  const flow = lim.flowMaxLpm;
  return {
    flowLpm: flow,
    supplyC: floor,
    deltaTK: heat / (plant.waterKWPerLpmK * flow),
    powerKW: pumpKW(plant, flow) + chillerKW(plant, heat, floor),
    gpuRiseK: rise,
    infeasible: true,
    atLimit: true,
  };
}

/** The least-power choice among the setpoints the ramps can write now that keep the bound there. */
function chooseReachable(
  inp: SetpointInput,
  goal: SetpointGoal,
  lim: ValveLimits,
  plant: PlantModel,
  heat: number,
  rise: number,
  offsetAt: (flow: number, q: number) => number,
  floor: number,
): SetpointChoice | null {
  const reach = goal.reach as NonNullable<SetpointGoal['reach']>;
  const fLo = Math.max(lim.flowMinLpm, reach.flowLpm[0]);
  const fHi = Math.min(lim.flowMaxLpm, reach.flowLpm[1]);
  const sLo = Math.max(floor, reach.supplyC[0]);
  const sHi = Math.min(lim.supplyMaxC, reach.supplyC[1]);
  if (!(fLo <= fHi) || !(sLo <= sHi)) return null;
  const flows: number[] = [];
  if (goal.deltaTK !== null) flows.push(clamp(feedForwardFlow(plant, heat, goal.deltaTK), fLo, fHi));
  else {
    flows.push(fLo, fHi);
    for (let f = Math.ceil(fLo / 5) * 5; f < fHi; f += 5) flows.push(f);
  }
  let best: SetpointChoice | null = null;
  for (const flow of flows) {
    const wanted = goal.gpuTargetC - rise - offsetAt(flow, heat);
    const aim = Math.min(lim.supplyMaxC, wanted);
    const written = clamp(aim, sLo, sHi);
    // The bound must hold at what is written now, not only at the aim.
    if (written > wanted + 1e-9 || aim < floor) continue;
    const power = pumpKW(plant, flow) + chillerKW(plant, heat, written);
    if (!best || power < best.powerKW - 1e-9) {
      best = { flowLpm: flow, supplyC: aim, deltaTK: heat / (plant.waterKWPerLpmK * flow), powerKW: power, gpuRiseK: rise, infeasible: false, atLimit: wanted > lim.supplyMaxC };
    }
  }
  return best;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
