// Field names as a model writes them ("Shipping Cost", "shipping_cost", "shippingCost",
// "qty") reduced to comparable word lists, and scored against a rule's field and aliases.

import { nfkc, stem } from './text-fold';

/** Abbreviations models and people use in field names, expanded to one word each. */
const ABBREVIATIONS: Record<string, string> = {
  qty: 'quantity',
  quant: 'quantity',
  temp: 'temperature',
  tmp: 'temperature',
  amt: 'amount',
  num: 'number',
  no: 'number',
  nr: 'number',
  desc: 'description',
  addr: 'address',
  ident: 'identifier',
  identifier: 'id',
  pwr: 'power',
  freq: 'frequency',
  util: 'utilization',
  utilisation: 'utilization',
  sp: 'setpoint',
  pct: 'percent',
  cnt: 'count',
  max: 'maximum',
  min: 'minimum',
  ship: 'shipping',
  shipment: 'shipping',
  delivery: 'shipping',
  postage: 'shipping',
  item: 'product',
  article: 'product',
  unit: 'quantity',
  pc: 'quantity',
  piece: 'quantity',
  client: 'customer',
  buyer: 'customer',
  host: 'server',
  prio: 'priority',
  colour: 'color',
};

/** Splits camelCase, snake_case, kebab-case and spaces into stemmed lower-case words. */
// Output keys and field names repeat from message to message; reading them once is enough.
const cache = new Map<string, string[]>();

export function nameWords(name: string): string[] {
  let ws = cache.get(name);
  if (!ws) {
    ws = readName(name);
    if (cache.size > 5000) cache.clear();
    cache.set(name, ws);
  }
  return ws;
}

function readName(name: string): string[] {
  const ws = splitName(name);
  // "Number of GPUs" names the same thing as "gpu_count".
  if (ws.length > 2 && ws[0] === 'number' && ws[1] === 'of') return [...ws.slice(2), 'count'];
  return ws;
}

function splitName(name: string): string[] {
  const spaced = nfkc(name)
    .replace(/([\p{Ll}\d])(\p{Lu})/gu, '$1 $2')
    .replace(/(\p{Lu})(\p{Lu}\p{Ll}{2,})/gu, '$1 $2');
  return spaced
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((w) => stem(ABBREVIATIONS[w] ?? w))
    .map((w) => ABBREVIATIONS[w] ?? w);
}

export function nameKey(name: string): string {
  return nameWords(name).join(' ');
}

/** Words that say little about which field is meant; a name is not matched on these alone. */
export const GENERIC_NAME_WORDS = new Set(['id', 'name', 'value', 'number', 'level', 'type', 'setting', 'rate', 'total', 'the', 'of', 'for', 'current', 'target', 'requested', 'new', 'amount']);

/**
 * How well an output key names a field: 3 exact words, 2 the same words run together
 * ("flowrate"), 1 one name's words all inside the other's ("Shipping cost" ⊃ "shipping").
 * 0 means it does not name the field.
 */
const joined = new WeakMap<string[], [string, string]>();
function joins(ws: string[]): [string, string] {
  let j = joined.get(ws);
  if (!j) {
    j = [ws.join(' '), ws.join('')];
    joined.set(ws, j);
  }
  return j;
}

export function nameScore(keyWords: string[], fieldWords: string[]): number {
  if (keyWords.length === 0 || fieldWords.length === 0) return 0;
  const [a, aCompact] = joins(keyWords);
  const [b, bCompact] = joins(fieldWords);
  if (a === b) return 3;
  if (aCompact === bCompact) return 2;
  const [small, large] = keyWords.length <= fieldWords.length ? [keyWords, fieldWords] : [fieldWords, keyWords];
  // A field named only by a generic word ("total") is still named by "total price".
  if (small.every((w) => large.includes(w)) && (small === fieldWords || small.some((w) => !GENERIC_NAME_WORDS.has(w)))) return 1;
  return 0;
}
