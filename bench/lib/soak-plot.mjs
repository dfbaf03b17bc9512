// The soak's plot, drawn by hand as SVG (no plotting dependency): three panels sharing the time axis — memory (RSS
// and heap used, MB), event-loop delay p99 (ms) and open handles — one polyline per worker and series.

const WIDTH = 800;
const PANEL = 170;
const GAP = 40;
const LEFT = 60;
const RIGHT = 20;
const TOP = 40;
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const MB = 1024 * 1024;

/** `samplesByWorker[w]` is worker w's samples (`seconds`, `rss`, `heapUsed`, `loopDelayMs.p99`, `handles`). */
export function soakSvg(samplesByWorker, title) {
  const all = samplesByWorker.flat();
  const maxMinutes = Math.max(1, ...all.map((s) => s.seconds / 60));
  const panels = [
    {
      label: 'memory, MB (solid: RSS, dashed: heap used)',
      series: [
        { value: (s) => s.rss / MB, dash: '' },
        { value: (s) => s.heapUsed / MB, dash: '6 4' },
      ],
    },
    { label: 'event-loop delay p99 per 30 s window, ms', series: [{ value: (s) => s.loopDelayMs.p99 ?? 0, dash: '' }] },
    { label: 'open handles (process.getActiveResourcesInfo)', series: [{ value: (s) => s.handles, dash: '' }] },
  ];
  const height = TOP + panels.length * (PANEL + GAP) + 20;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="white"/>`,
    `<text x="${LEFT}" y="20" font-size="13">${escapeXml(title)}</text>`,
  ];
  panels.forEach((panel, p) => {
    const y0 = TOP + p * (PANEL + GAP) + 16;
    const values = all.flatMap((s) => panel.series.map((series) => series.value(s)));
    const top = niceCeiling(Math.max(1, ...values));
    const x = (s) => LEFT + (s.seconds / 60 / maxMinutes) * plotWidth;
    const y = (v) => y0 + PANEL - (v / top) * PANEL;
    out.push(`<text x="${LEFT}" y="${y0 - 6}">${escapeXml(panel.label)}</text>`);
    out.push(`<rect x="${LEFT}" y="${y0}" width="${plotWidth}" height="${PANEL}" fill="none" stroke="#999"/>`);
    for (let k = 0; k <= 4; k++) {
      const v = (top * k) / 4;
      out.push(`<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
      out.push(`<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end">${round(v)}</text>`);
    }
    for (let k = 0; k <= 6; k++) {
      const minutes = (maxMinutes * k) / 6;
      const px = LEFT + (k / 6) * plotWidth;
      out.push(`<text x="${px}" y="${y0 + PANEL + 14}" text-anchor="middle">${round(minutes)} min</text>`);
    }
    samplesByWorker.forEach((samples, w) => {
      for (const series of panel.series) {
        const points = samples.map((s) => `${x(s).toFixed(1)},${y(series.value(s)).toFixed(1)}`).join(' ');
        const dash = series.dash ? ` stroke-dasharray="${series.dash}"` : '';
        out.push(`<polyline fill="none" stroke="${COLORS[w % COLORS.length]}" stroke-width="1.5"${dash} points="${points}"/>`);
      }
    });
  });
  samplesByWorker.forEach((_, w) => {
    const lx = LEFT + plotWidth - 90 * (samplesByWorker.length - w);
    out.push(`<rect x="${lx}" y="8" width="12" height="4" fill="${COLORS[w % COLORS.length]}"/>`);
    out.push(`<text x="${lx + 16}" y="14">worker ${w + 1}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The smallest 1, 2 or 5 × 10^k at or above `v`. */
function niceCeiling(v) {
  const base = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (step * base >= v) return step * base;
  return 10 * base;
}

function round(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 1 : 0);
}

function escapeXml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
