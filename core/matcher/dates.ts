// Dates in the forms people write them: 2024-03-15, 2024/03/15, 15/03/2024, 03/15/2024,
// 15.03.2024, 15 March 2024, March 15th, 2024, Fri 15 Mar 2024. A numeric date whose day
// and month could be swapped (03/04/2024) keeps both readings; either may match.

export interface DateValue {
  y: number;
  m: number;
  d: number;
  /** The other reading of an ambiguous day/month order. */
  alt?: { y: number; m: number; d: number };
}

const MONTHS: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
};
const MONTH = String.raw`(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`;
const DAY = String.raw`(\d{1,2})(?:st|nd|rd|th)?`;
const WEEKDAY = String.raw`(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)(?:day|nesday|sday|urday)?\.?,?\s+)?`;

/** Sources of every date form, each with a reader of its capture groups. */
const FORMS: Array<{ source: string; read: (g: string[]) => DateValue | null }> = [
  { source: String.raw`(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?`, read: (g) => ymd(+g[1], +g[2], +g[3]) },
  { source: String.raw`(\d{4})/(\d{1,2})/(\d{1,2})`, read: (g) => ymd(+g[1], +g[2], +g[3]) },
  { source: String.raw`(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})`, read: (g) => numeric(+g[1], +g[3], +g[4], g[2]) },
  { source: `${WEEKDAY}${DAY}(?:\\s+of)?\\s+${MONTH},?\\s+(\\d{4})`, read: (g) => ymd(+g[3], MONTHS[g[2].slice(0, 3).toLowerCase()], +g[1]) },
  { source: `${WEEKDAY}${MONTH}\\s+${DAY},?\\s+(\\d{4})`, read: (g) => ymd(+g[3], MONTHS[g[1].slice(0, 3).toLowerCase()], +g[2]) },
];

function valid(y: number, m: number, d: number): boolean {
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  const dt = new Date(Date.UTC(y, m - 1, d));
  return dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d;
}

function ymd(y: number, m: number, d: number): DateValue | null {
  return valid(y, m, d) ? { y, m, d } : null;
}

function numeric(a: number, b: number, yRaw: number, sep: string): DateValue | null {
  const y = yRaw < 100 ? 2000 + yRaw : yRaw;
  // "15.03.2024" is day-first by convention; with "/" a first part over 12 must be the day.
  const dayFirst = ymd(y, b, a);
  const monthFirst = ymd(y, a, b);
  if (sep === '.') return dayFirst;
  if (dayFirst && monthFirst) return a === b ? monthFirst : { ...monthFirst, alt: { y, m: b, d: a } };
  return monthFirst ?? dayFirst;
}

export const DATE_RE = new RegExp(FORMS.map((f) => `(?:${f.source})`).join('|'), 'gi');
const WHOLE = FORMS.map((f) => ({ re: new RegExp(`^(?:${f.source})$`, 'i'), read: f.read }));
const ANYWHERE = FORMS.map((f) => ({ re: new RegExp(`(?<![\\p{L}\\p{N}])(?:${f.source})(?![\\p{L}\\p{N}])`, 'giu'), read: f.read }));

/** A whole value that is one date. */
export function parseDate(raw: string): DateValue | null {
  const t = raw.trim();
  for (const f of WHOLE) {
    const m = f.re.exec(t);
    if (m) return f.read(m);
  }
  return null;
}

export interface DateMention {
  start: number;
  end: number;
  value: DateValue;
}

/** Every date in a text, earliest first, without overlaps. */
export function findDates(text: string): DateMention[] {
  const out: DateMention[] = [];
  for (const f of ANYWHERE) {
    f.re.lastIndex = 0;
    for (let m = f.re.exec(text); m; m = f.re.exec(text)) {
      const v = f.read(m);
      const start = m.index;
      const end = start + m[0].length;
      if (v && !out.some((o) => start < o.end && end > o.start)) out.push({ start, end, value: v });
    }
  }
  return out.sort((a, b) => a.start - b.start);
}

export function sameDate(expected: DateValue, actual: DateValue): boolean {
  const readings = [actual, ...(actual.alt ? [actual.alt] : [])];
  const wanted = [expected, ...(expected.alt ? [expected.alt] : [])];
  return readings.some((r) => wanted.some((w) => r.y === w.y && r.m === w.m && r.d === w.d));
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
export function formatDate(v: DateValue): string {
  return `${v.y}-${String(v.m).padStart(2, '0')}-${String(v.d).padStart(2, '0')}`;
}
export { MONTH_NAMES };
