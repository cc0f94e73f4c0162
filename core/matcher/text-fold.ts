// One way to read text before comparing it: Unicode compatibility forms folded (NFKC turns
// full-width digits, ligatures and non-breaking spaces into their plain forms), case folded,
// typographic quotes and dashes made plain, whitespace collapsed.

const TYPOGRAPHIC = /[\u2018\u2019\u201A\u201B\u2032]|[\u201C\u201D\u201E\u201F\u2033]|[\u2010-\u2015\u2212]/g;

function plain(ch: string): string {
  if ('\u2018\u2019\u201A\u201B\u2032'.includes(ch)) return "'";
  if ('\u201C\u201D\u201E\u201F\u2033'.includes(ch)) return '"';
  return '-';
}

/** NFKC with typographic punctuation made ASCII; keeps case and length-ish shape. */
export function nfkc(s: string): string {
  // Printable ASCII is already in normal form and has no typographic punctuation.
  if (/^[\x20-\x7e\t\r\n]*$/.test(s)) return s;
  return s.normalize('NFKC').replace(TYPOGRAPHIC, plain);
}

/** Case- and Unicode-folded, whitespace collapsed: the form text values are compared in. */
export function fold(s: string): string {
  return nfkc(s).toLowerCase().replace(/\s+/g, ' ').trim();
}

/** Strips wrapping a model adds around a value: quotes, backticks, markdown emphasis, a final period. */
export function unwrap(s: string): string {
  let t = s.trim();
  if (!/^[*_`"']|[*_`"'.;,]$/.test(t)) return t;
  for (;;) {
    const before = t;
    t = t.replace(/^(\*\*|__|\*|_|`|"|')(.*)\1$/s, '$2').trim();
    t = t.replace(/[.;,]+$/, '').trim();
    if (t === before) return t;
  }
}

/** Words ending in -us that are not plurals ("GPUs" is). */
const KEEP_US = new Set(['status', 'bus', 'virus', 'campus', 'bonus', 'focus', 'radius', 'census', 'plus', 'minus', 'corpus', 'nexus', 'versus', 'thus', 'surplus', 'onus', 'genus', 'sinus', 'consensus', 'stimulus', 'apparatus']);

/** Light English stemming so "laptops", "shipping" and "ships" meet "laptop" and "ship". */
export function stem(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith('ies')) return w.slice(0, -3) + 'y';
  if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  else if (w.length > 4 && /(?:ss|x|ch|sh)es$/.test(w)) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !KEEP_US.has(w)) w = w.slice(0, -1);
  if (/([b-df-hj-np-tv-z])\1$/.test(w) && !/(?:ll|ss|zz)$/.test(w)) w = w.slice(0, -1);
  // "throttle"/"throttling", "price"/"priced": a final silent e is dropped too.
  if (w.length > 4 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/** Word tokens of folded text: letters and digits, everything else separates. */
export function words(s: string): string[] {
  return fold(s).split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}
