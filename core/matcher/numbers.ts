// Numbers as models write them: "5", "1,200", "1 200", "2.5k", "five", "twenty-five",
// "one hundred and twenty", "a dozen", "1.2 million".

const UNITS: Record<string, number> = {
  zero: 0, none: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16,
  seventeen: 17, eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = {
  twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
};
const SCALES: Record<string, number> = { dozen: 12, hundred: 100, thousand: 1e3, million: 1e6, billion: 1e9 };

export const NUMBER_WORD_SOURCE = `(?:${[...Object.keys(UNITS), ...Object.keys(TENS), ...Object.keys(SCALES)].filter((w) => w !== 'none').join('|')})`;
/** A run of number words: "twenty-five", "one hundred and twenty", "a dozen". */
export const NUMBER_WORDS_RE = new RegExp(
  `\\b(?:an? (?=dozen|hundred|thousand|million)|)${NUMBER_WORD_SOURCE}(?:(?:[ -]|,? and )${NUMBER_WORD_SOURCE})*\\b`,
  'gi',
);

export interface ParsedNumber {
  value: number;
  /** Digits after the decimal point as written: "89.6" → 1, "90" → 0; rounding tolerance. */
  decimals: number;
}

/** Parses a run of number words; null when the words do not form a number. */
export function parseNumberWords(text: string): number | null {
  const tokens = text.toLowerCase().replace(/,/g, ' ').split(/[\s-]+/).filter((t) => t && t !== 'and');
  if (tokens.length === 0) return null;
  let total = 0;
  let group = 0;
  let seen = false;
  for (const [i, t] of tokens.entries()) {
    if ((t === 'a' || t === 'an') && i === 0) {
      group = 1;
      continue;
    }
    if (t in UNITS) {
      group += UNITS[t];
      seen = true;
    } else if (t in TENS) {
      group += TENS[t];
      seen = true;
    } else if (t in SCALES) {
      const scale = SCALES[t];
      if (group === 0) group = 1;
      if (scale < 1000) group *= scale;
      else {
        total += group * scale;
        group = 0;
      }
      seen = true;
    } else return null;
  }
  return seen ? total + group : null;
}

/** Digits with optional sign, thousands separators (",", " ", "'", "_") and decimals. */
export const DIGITS_SOURCE = String.raw`[-+]?(?:\d{1,3}(?:[,' _]\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+`;
const DIGITS_ONLY = new RegExp(`^(?:${DIGITS_SOURCE})$`);
const MAGNITUDE_RE = /^\s*(k|thousand|m|mn|million|bn|billion)\b/i;
const MAGNITUDES: Record<string, number> = { k: 1e3, thousand: 1e3, m: 1e6, mn: 1e6, million: 1e6, bn: 1e9, billion: 1e9 };

export function parseDigits(raw: string): ParsedNumber | null {
  const t = raw.trim().replace(/^\+/, '');
  if (!DIGITS_ONLY.test(t)) return null;
  const clean = t.replace(/[,' _]/g, '');
  const dot = clean.indexOf('.');
  return { value: Number(clean), decimals: dot < 0 ? 0 : clean.length - dot - 1 };
}

/** A whole value that is one number, in digits or words ("5", "1,200", "five", "2.5k"). */
export function parseNumber(raw: string): ParsedNumber | null {
  const t = raw.trim().replace(/[\u2212]/g, '-');
  const direct = parseDigits(t);
  if (direct) return direct;
  const m = /^([-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*(k|thousand|m|mn|million|bn|billion)$/i.exec(t);
  if (m) {
    const base = parseDigits(m[1]);
    if (base) return { value: base.value * MAGNITUDES[m[2].toLowerCase()], decimals: 0 };
  }
  const w = parseNumberWords(t);
  return w === null ? null : { value: w, decimals: 0 };
}

export { MAGNITUDE_RE, MAGNITUDES };
