// A small SVG chart writer for the benchmarks: line charts, step/bar histograms and CDFs with
// axes, ticks and a legend, as plain strings (no dependencies, opens in any browser).

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  yMin?: number;
  yMax?: number;
  xMax?: number;
  /** Draw as steps (values hold until the next x). */
  step?: boolean;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const M = { left: 64, right: 16, top: 36, bottom: 48 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** "Nice" tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(4)).toString();
}

export function lineChart(series: Series[], o: ChartOptions): string {
  const W = o.width ?? 720;
  const H = o.height ?? 360;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      xMin = Math.min(xMin, s.x[i]);
      xMax = Math.max(xMax, s.x[i]);
      yMin = Math.min(yMin, s.y[i]);
      yMax = Math.max(yMax, s.y[i]);
    }
  }
  if (!Number.isFinite(xMin)) [xMin, xMax, yMin, yMax] = [0, 1, 0, 1];
  if (o.xMax !== undefined) xMax = o.xMax;
  yMin = o.yMin ?? Math.min(0, yMin);
  yMax = o.yMax ?? (yMax > yMin ? yMax * 1.05 : yMin + 1);
  if (xMax === xMin) xMax = xMin + 1;
  const X = (v: number) => M.left + ((v - xMin) / (xMax - xMin)) * pw;
  const Y = (v: number) => M.top + ph - ((v - yMin) / (yMax - yMin)) * ph;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  for (const t of ticks(yMin, yMax)) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${M.left - 6}" y="${(Y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of ticks(xMin, xMax)) {
    parts.push(`<line x1="${X(t).toFixed(1)}" x2="${X(t).toFixed(1)}" y1="${M.top + ph}" y2="${M.top + ph + 4}" stroke="#333"/>`);
    parts.push(`<text x="${X(t).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${fmt(t)}</text>`);
  }
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const pts: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      if (s.x[i] > xMax) break;
      if (o.step && i > 0) pts.push(`${X(s.x[i]).toFixed(1)},${Y(s.y[i - 1]).toFixed(1)}`);
      pts.push(`${X(s.x[i]).toFixed(1)},${Y(s.y[i]).toFixed(1)}`);
    }
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
    parts.push(`<rect x="${M.left + 10}" y="${M.top + 8 + k * 16}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${M.left + 26}" y="${M.top + 13 + k * 16}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

export interface BarGroup {
  name: string;
  values: number[];
  color?: string;
}

/** Grouped bars over categories (e.g. clock → share of instance-time per run). */
export function barChart(categories: string[], groups: BarGroup[], o: ChartOptions): string {
  const W = o.width ?? 720;
  const H = o.height ?? 360;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const yMax = o.yMax ?? Math.max(1e-9, ...groups.flatMap((g) => g.values)) * 1.1;
  const Y = (v: number) => M.top + ph - (v / yMax) * ph;
  const slot = pw / Math.max(1, categories.length);
  const bw = (slot * 0.8) / Math.max(1, groups.length);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(o.title)}</text>`);
  for (const t of ticks(0, yMax)) {
    parts.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${Y(t).toFixed(1)}" y2="${Y(t).toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${M.left - 6}" y="${(Y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`);
  }
  categories.forEach((c, i) => {
    parts.push(`<text x="${(M.left + slot * (i + 0.5)).toFixed(1)}" y="${M.top + ph + 18}" text-anchor="middle">${esc(c)}</text>`);
    groups.forEach((g, k) => {
      const v = g.values[i] ?? 0;
      const x = M.left + slot * i + slot * 0.1 + k * bw;
      parts.push(`<rect x="${x.toFixed(1)}" y="${Y(v).toFixed(1)}" width="${bw.toFixed(1)}" height="${(M.top + ph - Y(v)).toFixed(1)}" fill="${g.color ?? PALETTE[k % PALETTE.length]}"/>`);
    });
  });
  groups.forEach((g, k) => {
    parts.push(`<rect x="${M.left + 10}" y="${M.top + 6 + k * 16}" width="10" height="10" fill="${g.color ?? PALETTE[k % PALETTE.length]}"/>`);
    parts.push(`<text x="${M.left + 26}" y="${M.top + 15 + k * 16}">${esc(g.name)}</text>`);
  });
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

/** Empirical CDF points of a sample, thinned to at most `points`. */
export function cdf(values: ArrayLike<number>, points = 400): { x: number[]; y: number[] } {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const x: number[] = [];
  const y: number[] = [];
  if (n === 0) return { x, y };
  const step = Math.max(1, Math.floor(n / points));
  for (let i = 0; i < n; i += step) {
    x.push(sorted[i]);
    y.push((i + 1) / n);
  }
  x.push(sorted[n - 1]);
  y.push(1);
  return { x, y };
}
