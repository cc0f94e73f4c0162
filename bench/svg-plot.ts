// A small SVG line-chart writer for the benchmarks: stacked panels sharing one time axis,
// several named series per panel. No dependencies; the files open in any browser.

export interface Series {
  name: string;
  values: Array<[number, number]>;
  color: string;
  dashed?: boolean;
}

export interface Panel {
  title: string;
  unit: string;
  series: Series[];
  /** Horizontal reference lines (e.g. the 83 °C target). */
  refs?: Array<{ value: number; label: string }>;
}

const W = 960;
const PANEL_H = 180;
const LEFT = 60;
const RIGHT = 150;
const TOP = 24;
const GAP = 40;

export function svgChart(title: string, panels: Panel[], xLabel = 'time (s)'): string {
  const height = TOP + panels.length * (PANEL_H + GAP) + 10;
  const plotW = W - LEFT - RIGHT;
  let xMin = Infinity;
  let xMax = -Infinity;
  for (const p of panels) for (const s of p.series) for (const [x] of s.values) { xMin = Math.min(xMin, x); xMax = Math.max(xMax, x); }
  if (!(xMax > xMin)) { xMin = 0; xMax = 1; }
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${LEFT}" y="16" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ];
  panels.forEach((p, i) => {
    const y0 = TOP + i * (PANEL_H + GAP) + 20;
    let yMin = Infinity;
    let yMax = -Infinity;
    for (const s of p.series) for (const [, y] of s.values) if (Number.isFinite(y)) { yMin = Math.min(yMin, y); yMax = Math.max(yMax, y); }
    for (const r of p.refs ?? []) { yMin = Math.min(yMin, r.value); yMax = Math.max(yMax, r.value); }
    if (!(yMax > yMin)) { yMin -= 1; yMax += 1; }
    const pad = (yMax - yMin) * 0.05;
    yMin -= pad;
    yMax += pad;
    const sx = (x: number) => LEFT + ((x - xMin) / (xMax - xMin)) * plotW;
    const sy = (y: number) => y0 + PANEL_H - ((y - yMin) / (yMax - yMin)) * PANEL_H;
    out.push(`<text x="${LEFT}" y="${y0 - 6}" font-weight="bold">${esc(p.title)} (${esc(p.unit)})</text>`);
    out.push(`<rect x="${LEFT}" y="${y0}" width="${plotW}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
    for (let k = 0; k <= 4; k++) {
      const v = yMin + ((yMax - yMin) * k) / 4;
      out.push(`<text x="${LEFT - 4}" y="${sy(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/>`);
    }
    for (let k = 0; k <= 6; k++) {
      const v = xMin + ((xMax - xMin) * k) / 6;
      out.push(`<text x="${sx(v)}" y="${y0 + PANEL_H + 14}" text-anchor="middle">${fmt(v)}</text>`);
    }
    for (const r of p.refs ?? []) {
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotW}" y1="${sy(r.value)}" y2="${sy(r.value)}" stroke="#c00" stroke-dasharray="2,3"/>`);
      out.push(`<text x="${LEFT + plotW + 4}" y="${sy(r.value) + 4}" fill="#c00">${esc(r.label)}</text>`);
    }
    p.series.forEach((s, k) => {
      const pts = s.values.filter(([, y]) => Number.isFinite(y)).map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.2"${s.dashed ? ' stroke-dasharray="4,3"' : ''} points="${pts}"/>`);
      out.push(`<text x="${LEFT + plotW + 10}" y="${y0 + 14 + 14 * k}" fill="${s.color}">${esc(s.name)}</text>`);
    });
    if (i === panels.length - 1) out.push(`<text x="${LEFT + plotW / 2}" y="${y0 + PANEL_H + 30}" text-anchor="middle">${esc(xLabel)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

function fmt(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
