// Line charts as inline SVG strings: no library, no network, nothing to load when the report opens.

export interface Series {
  name: string;
  points: [number, number | null][];
}

const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function niceTicks(lo: number, hi: number, n = 4): number[] {
  if (lo === hi) return [lo];
  const step = 10 ** Math.floor(Math.log10((hi - lo) / n));
  const mult = [1, 2, 5, 10].find((m) => (hi - lo) / (m * step) <= n) ?? 10;
  const s = mult * step;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / s) * s; t <= hi + 1e-12; t += s) ticks.push(+t.toPrecision(10));
  return ticks;
}

export function lineChart(
  title: string,
  series: Series[],
  options: { width?: number; height?: number; yLabel?: string; legendWidth?: number } = {},
): string {
  const W = options.width ?? 420;
  const H = options.height ?? 220;
  // Legend entries wrap into rows of `perRow`; each extra row pushes the plot down.
  const LW = options.legendWidth ?? 110;
  const perRow = Math.max(1, Math.floor((W - 56) / LW));
  const legendRows = series.length > 1 ? Math.ceil(series.length / perRow) : 1;
  const m = { l: 48, r: 12, t: 28 + 12 * (legendRows - 1), b: 40 };
  const pts = series.flatMap((s) =>
    s.points.filter((p): p is [number, number] => p[1] !== null && Number.isFinite(p[1])),
  );
  if (pts.length === 0) {
    return `<svg class="chart" role="img" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}"><title>${escapeXml(title)}</title><text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="empty">${escapeXml(title)}: no data</text></svg>`;
  }
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 1, y1 + 1];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" role="img" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" xmlns="http://www.w3.org/2000/svg">`,
  );
  parts.push(`<title>${escapeXml(title)}</title>`);
  parts.push(`<text x="${m.l}" y="16" class="chart-title">${escapeXml(title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    parts.push(
      `<line x1="${m.l}" x2="${W - m.r}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="grid"/>`,
    );
    parts.push(
      `<text x="${m.l - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${+t.toPrecision(4)}</text>`,
    );
  }
  for (const t of niceTicks(x0, x1, 6)) {
    parts.push(
      `<text x="${sx(t).toFixed(1)}" y="${H - m.b + 16}" text-anchor="middle" class="tick">${+t.toPrecision(4)}</text>`,
    );
  }
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle" class="tick">step</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const segs: string[] = [];
    let pen = "M";
    for (const [x, y] of s.points) {
      if (y === null || !Number.isFinite(y)) {
        pen = "M";
        continue;
      }
      segs.push(`${pen}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`);
      pen = "L";
    }
    parts.push(
      `<path d="${segs.join(" ")}" fill="none" stroke="${color}" stroke-width="1.8"><title>${escapeXml(s.name)}</title></path>`,
    );
    if (series.length > 1) {
      const x = m.l + 8 + (i % perRow) * LW;
      const y = 28 + 12 * Math.floor(i / perRow);
      parts.push(`<rect x="${x}" y="${y - 2}" width="10" height="3" fill="${color}"/>`);
      parts.push(`<text x="${x + 14}" y="${y + 2}" class="legend">${escapeXml(s.name)}</text>`);
    }
  });
  parts.push("</svg>");
  return parts.join("");
}
