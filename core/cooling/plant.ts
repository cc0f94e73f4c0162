// What the Coolant Valve knows of the plant, as a plant engineer would enter it from the CDU
// and chiller datasheets: the limits, the pump curve, the chiller COP against supply
// temperature, and how the hottest GPU sits above its coolant. Defaults are the twin's
// published numbers (design/twin.md §3), which come from the same kinds of datasheets.

export interface ValveLimits {
  flowMinLpm: number;
  flowMaxLpm: number;
  supplyMinC: number;
  supplyMaxC: number;
  /** Supply never closer than this to the dew point (K). */
  dewPointMarginK: number;
  /** Largest setpoint change per minute (L/min per min, °C per min). */
  flowRampLpmPerMin: number;
  supplyRampCPerMin: number;
}

export interface PlantModel {
  /** Heat carried per (L/min · K) of water (kW). */
  waterKWPerLpmK: number;
  pumpRatedKW: number;
  pumpRatedLpm: number;
  /** The pump never turns slower than this share of rated speed. */
  pumpMinSpeed: number;
  /** Chiller COP = copBase · (1 + copPerK · (supply − copRefC)). */
  copBase: number;
  copPerK: number;
  copRefC: number;
  /**
   * The hottest server's heat over the mean server's: its coolant warms by this times the loop
   * ΔT, and the GPU sits on the mean of inlet and outlet (dimensionless, ≥ 1).
   */
  hotSpotFactor: number;
}

export const DEFAULT_LIMITS: ValveLimits = {
  flowMinLpm: 50,
  flowMaxLpm: 500,
  supplyMinC: 18,
  supplyMaxC: 45,
  dewPointMarginK: 2,
  flowRampLpmPerMin: 60,
  supplyRampCPerMin: 2,
};

export const DEFAULT_PLANT: PlantModel = {
  waterKWPerLpmK: 0.0694,
  pumpRatedKW: 5,
  pumpRatedLpm: 500,
  pumpMinSpeed: 0.15,
  copBase: 5,
  copPerK: 0.025,
  copRefC: 30,
  hotSpotFactor: 1.3,
};

export function pumpKW(m: PlantModel, flowLpm: number): number {
  return m.pumpRatedKW * Math.pow(Math.max(m.pumpMinSpeed, flowLpm / m.pumpRatedLpm), 3);
}

export function chillerKW(m: PlantModel, heatKW: number, supplyC: number): number {
  const cop = m.copBase * (1 + m.copPerK * (supplyC - m.copRefC));
  return Math.max(0, heatKW) / Math.max(0.5, cop);
}

/** Loop temperature rise (K) for `heatKW` at `flowLpm`. */
export function loopDeltaTK(m: PlantModel, heatKW: number, flowLpm: number): number {
  return Math.max(0, heatKW) / (m.waterKWPerLpmK * Math.max(1, flowLpm));
}

/** Flow (L/min) that carries `heatKW` with a rise of `deltaTK`: Q = c · flow · ΔT. */
export function feedForwardFlow(m: PlantModel, heatKW: number, deltaTK: number): number {
  return Math.max(0, heatKW) / (m.waterKWPerLpmK * Math.max(0.1, deltaTK));
}

/** How far the hottest GPU's coolant sits above the supply (K): half the hot server's rise. */
export function hotCoolantOffsetK(m: PlantModel, heatKW: number, flowLpm: number): number {
  return (m.hotSpotFactor * loopDeltaTK(m, heatKW, flowLpm)) / 2;
}
