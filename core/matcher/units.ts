// Units: the spellings people and models use, mapped onto the convert-units library's unit
// ids; the library does every conversion. Percent and rate-like units the library does not
// know ("tokens/s") are compared only against the same unit.

import convert from 'convert-units';

/** [spelling, library id]. Matched case-sensitively; SI prefixes make case meaningful (mW ≠ MW). */
const SYMBOLS: Array<[string, string]> = [
  ['°C', 'C'], ['ºC', 'C'], ['° C', 'C'], ['degC', 'C'], ['deg C', 'C'], ['C', 'C'],
  ['°F', 'F'], ['ºF', 'F'], ['° F', 'F'], ['degF', 'F'], ['deg F', 'F'], ['F', 'F'],
  ['K', 'K'], ['°K', 'K'],
  ['L/min', 'l/min'], ['l/min', 'l/min'], ['L/m', 'l/min'], ['LPM', 'l/min'], ['lpm', 'l/min'], ['Lpm', 'l/min'], ['L min-1', 'l/min'], ['L·min⁻¹', 'l/min'],
  ['L/s', 'l/s'], ['l/s', 'l/s'], ['LPS', 'l/s'], ['L/h', 'l/h'], ['l/h', 'l/h'], ['LPH', 'l/h'],
  ['m3/h', 'm3/h'], ['m³/h', 'm3/h'], ['m^3/h', 'm3/h'], ['m3/hr', 'm3/h'], ['m³/hr', 'm3/h'], ['m3/min', 'm3/min'], ['m³/min', 'm3/min'], ['m3/s', 'm3/s'], ['m³/s', 'm3/s'],
  ['GPM', 'gal/min'], ['gpm', 'gal/min'], ['gal/min', 'gal/min'], ['CFM', 'ft3/min'], ['cfm', 'ft3/min'], ['ft3/min', 'ft3/min'], ['ft³/min', 'ft3/min'],
  ['W', 'W'], ['kW', 'kW'], ['KW', 'kW'], ['MW', 'MW'], ['GW', 'GW'], ['mW', 'mW'],
  ['Wh', 'Wh'], ['kWh', 'kWh'], ['KWh', 'kWh'], ['MWh', 'MWh'], ['GWh', 'GWh'], ['J', 'J'], ['kJ', 'kJ'],
  ['Hz', 'Hz'], ['kHz', 'kHz'], ['MHz', 'MHz'], ['GHz', 'GHz'], ['rpm', 'rpm'], ['RPM', 'rpm'],
  ['Pa', 'Pa'], ['kPa', 'kPa'], ['MPa', 'MPa'], ['hPa', 'hPa'], ['bar', 'bar'], ['psi', 'psi'], ['PSI', 'psi'],
  ['V', 'V'], ['kV', 'kV'], ['mV', 'mV'], ['A', 'A'], ['mA', 'mA'], ['kA', 'kA'],
  ['ms', 'ms'], ['s', 's'], ['sec', 's'], ['secs', 's'], ['min', 'min'], ['mins', 'min'], ['h', 'h'], ['hr', 'h'], ['hrs', 'h'],
  ['mm', 'mm'], ['cm', 'cm'], ['m', 'm'], ['km', 'km'], ['ft', 'ft'],
  ['mg', 'mg'], ['g', 'g'], ['kg', 'kg'], ['lb', 'lb'], ['lbs', 'lb'],
  ['ml', 'ml'], ['mL', 'ml'], ['L', 'l'], ['l', 'l'],
  ['KB', 'KB'], ['MB', 'MB'], ['GB', 'GB'], ['TB', 'TB'],
  ['%', '%'], ['tokens/s', 'tokens/s'], ['tok/s', 'tokens/s'], ['req/s', 'requests/s'], ['requests/s', 'requests/s'],
];

/** Spelled-out units, matched case-insensitively. */
const WORDS: Array<[string, string]> = [
  ['degrees celsius', 'C'], ['degree celsius', 'C'], ['degrees centigrade', 'C'], ['degrees c', 'C'], ['deg c', 'C'], ['celsius', 'C'], ['centigrade', 'C'],
  ['degrees fahrenheit', 'F'], ['degree fahrenheit', 'F'], ['degrees f', 'F'], ['deg f', 'F'], ['fahrenheit', 'F'],
  ['kelvin', 'K'], ['kelvins', 'K'],
  ['litres per minute', 'l/min'], ['liters per minute', 'l/min'], ['litre per minute', 'l/min'], ['liter per minute', 'l/min'],
  ['litres/min', 'l/min'], ['liters/min', 'l/min'], ['litres a minute', 'l/min'], ['liters a minute', 'l/min'], ['l per min', 'l/min'],
  ['litres per second', 'l/s'], ['liters per second', 'l/s'], ['litres per hour', 'l/h'], ['liters per hour', 'l/h'],
  ['cubic metres per hour', 'm3/h'], ['cubic meters per hour', 'm3/h'], ['gallons per minute', 'gal/min'], ['us gallons per minute', 'gal/min'],
  ['cubic feet per minute', 'ft3/min'],
  ['kilowatts', 'kW'], ['kilowatt', 'kW'], ['megawatts', 'MW'], ['megawatt', 'MW'], ['watts', 'W'], ['watt', 'W'],
  ['kilowatt-hours', 'kWh'], ['kilowatt hours', 'kWh'], ['kilowatt-hour', 'kWh'], ['megawatt-hours', 'MWh'],
  ['megahertz', 'MHz'], ['gigahertz', 'GHz'], ['kilopascals', 'kPa'], ['kilopascal', 'kPa'], ['pascals', 'Pa'],
  ['volts', 'V'], ['amps', 'A'], ['amperes', 'A'],
  ['milliseconds', 'ms'], ['millisecond', 'ms'], ['seconds', 's'], ['second', 's'], ['minutes', 'min'], ['minute', 'min'],
  ['hours', 'h'], ['hour', 'h'], ['days', 'd'], ['day', 'd'], ['weeks', 'week'], ['week', 'week'],
  ['percent', '%'], ['per cent', '%'], ['pct', '%'],
  ['kilograms', 'kg'], ['kilogram', 'kg'], ['grams', 'g'], ['pounds weight', 'lb'],
  ['litres', 'l'], ['liters', 'l'], ['litre', 'l'], ['liter', 'l'],
  ['millimetres', 'mm'], ['millimeters', 'mm'], ['metres', 'm'], ['meters', 'm'], ['kilometres', 'km'], ['kilometers', 'km'],
  ['gigabytes', 'GB'], ['terabytes', 'TB'], ['megabytes', 'MB'],
  ['tokens per second', 'tokens/s'], ['requests per second', 'requests/s'],
];

const CUSTOM_MEASURES: Record<string, string> = { '%': 'percent', 'tokens/s': 'tokenRate', 'requests/s': 'requestRate' };

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const bySpellingLength = (a: [string, string], b: [string, string]): number => b[0].length - a[0].length;
const symbolMap = new Map(SYMBOLS);
const wordMap = new Map(WORDS.map(([w, id]) => [w, id] as [string, string]));
// After a number: optional space, then the unit, then no further letter or digit.
const END = String.raw`(?![\p{L}\p{N}])`;
export const UNIT_SYMBOL_RE = new RegExp(`\\s?(${[...SYMBOLS].sort(bySpellingLength).map(([s]) => escape(s)).join('|')})${END}`, 'uy');
export const UNIT_WORD_RE = new RegExp(`\\s?(${[...WORDS].sort(bySpellingLength).map(([s]) => escape(s).replace(/ /g, '\\s+')).join('|')})${END}`, 'iuy');

const libraryMeasure = new Map<string, string>();
for (const u of convert().list()) libraryMeasure.set(u.abbr, u.measure);

/** The library id of a unit spelling, or undefined when the spelling is not a unit. */
export function unitId(spelling: string): string | undefined {
  const s = spelling.trim();
  const hit = symbolMap.get(s) ?? wordMap.get(s.toLowerCase().replace(/\s+/g, ' '));
  if (hit) return hit;
  if (libraryMeasure.has(s)) return s;
  return undefined;
}

/** "temperature", "volumeFlowRate", "power", … or undefined for an unknown id. */
export function measureOf(id: string): string | undefined {
  return libraryMeasure.get(id) ?? CUSTOM_MEASURES[id];
}

/** The spelling to show a person for a library id ("C" → "°C"). */
export function displayUnit(id: string): string {
  if (id === 'C' || id === 'F') return `°${id}`;
  if (id === 'l/min') return 'L/min';
  return id;
}

// Every conversion the library does is affine (temperatures) or linear; keep (scale, offset)
// per pair so a hot path converts without the library's linear unit search.
const affine = new Map<string, { a: number; b: number }>();

/** Converts between two unit ids of the same measure; undefined when they cannot convert. */
export function convertUnit(value: number, from: string, to: string): number | undefined {
  if (from === to) return value;
  const key = `${from}\u0000${to}`;
  let f = affine.get(key);
  if (!f) {
    if (!libraryMeasure.has(from) || !libraryMeasure.has(to) || libraryMeasure.get(from) !== libraryMeasure.get(to)) return undefined;
    const b = convert(0).from(from as never).to(to as never);
    const a = convert(1).from(from as never).to(to as never) - b;
    f = { a, b };
    affine.set(key, f);
  }
  return f.a * value + f.b;
}
