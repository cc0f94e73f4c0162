// Units a reading may carry. A reading with a unit outside this list is rejected: a typo such as
// "degC" vs "°C" is accepted through an alias, but "furlongs" is a mistake a person must see.

const CANONICAL = [
  '°C', 'K', 'W', 'kW', 'MW', 'MHz', 'GHz', '%', 'L/min', 'm³/h', 'tokens', 'tokens/s',
  'requests/s', 'count', 'bool', 's', 'ms', 'kWh', 'Wh', 'J', 'Pa', 'kPa', 'bar', 'rpm', 'V', 'A',
] as const;
export type Unit = (typeof CANONICAL)[number];

const ALIASES: Record<string, Unit> = {
  c: '°C', degc: '°C', celsius: '°C', '℃': '°C', 'deg c': '°C', '° c': '°C',
  kelvin: 'K', watt: 'W', watts: 'W', kilowatt: 'kW', kilowatts: 'kW', megawatt: 'MW',
  mhz: 'MHz', ghz: 'GHz', percent: '%', pct: '%',
  lpm: 'L/min', 'l/min': 'L/min', 'litres/min': 'L/min', 'liters/min': 'L/min', 'l/m': 'L/min',
  'm3/h': 'm³/h', token: 'tokens', 'tok/s': 'tokens/s', 'token/s': 'tokens/s', 'req/s': 'requests/s',
  'rps': 'requests/s', 'request/s': 'requests/s', boolean: 'bool', sec: 's', seconds: 's', second: 's',
  msec: 'ms', milliseconds: 'ms', kwh: 'kWh', wh: 'Wh', joule: 'J', joules: 'J', '': 'count', n: 'count',
};

const BY_LOWER = new Map<string, Unit>();
for (const u of CANONICAL) BY_LOWER.set(u.toLowerCase(), u);
for (const [alias, u] of Object.entries(ALIASES)) BY_LOWER.set(alias, u);

/** The canonical spelling of a unit, or undefined when the unit is unknown. */
export function canonicalUnit(unit: string): Unit | undefined {
  if (unit.length > 32) return undefined;
  return BY_LOWER.get(unit.trim().toLowerCase());
}

export const KNOWN_UNITS: readonly string[] = CANONICAL;
