import type { BenchResults } from '../results.js';

const W = 760;
const H = 420;
const M = { left: 70, right: 190, top: 40, bottom: 55 };
const colors = ['#d9480f', '#1c7ed6', '#2b8a3e', '#862e9c'];

const niceStep = (span: number): number => {
  const raw = span / 8;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
};

const escape = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Setup latency (p50 and p99) against offered rate, one line per target, log-scale latency. */
export function renderSetupChart(results: BenchResults): string {
  const series = Object.entries(results.throughput).map(([id, t], i) => ({
    id,
    title: results.targets.find((x) => x.id === id)?.title ?? id,
    color: colors[i % colors.length]!,
    points: t.steps.map((s) => ({ rate: s.rate, p50: s.setup.p50, p99: s.setup.p99, passed: s.passed })),
  }));
  const rates = series.flatMap((s) => s.points.map((p) => p.rate));
  const latencies = series.flatMap((s) => s.points.flatMap((p) => [p.p50, p.p99]));
  const xMax = Math.max(1000, ...rates);
  const xStep = niceStep(xMax);
  const xTop = Math.ceil(xMax / xStep) * xStep;
  const yLow = 0.1;
  const yHigh = 10 ** Math.ceil(Math.log10(Math.max(100, ...latencies)));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (rate: number): number => M.left + (rate / xTop) * plotW;
  const y = (ms: number): number =>
    M.top + plotH - ((Math.log10(Math.max(yLow, ms)) - Math.log10(yLow)) / (Math.log10(yHigh) - Math.log10(yLow))) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${M.left}" y="22" font-size="15" font-weight="bold">Call setup latency (REQUEST → START at the caller) against offered rate</text>`);
  for (let v = 0; v <= xTop; v += xStep) {
    out.push(`<line x1="${x(v)}" y1="${M.top}" x2="${x(v)}" y2="${M.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${x(v)}" y="${M.top + plotH + 18}" text-anchor="middle">${v}</text>`);
  }
  for (let v = yLow; v <= yHigh * 1.0001; v *= 10) {
    out.push(`<line x1="${M.left}" y1="${y(v)}" x2="${M.left + plotW}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${M.left - 8}" y="${y(v) + 4}" text-anchor="end">${v >= 1 ? v.toFixed(0) : v.toFixed(1)} ms</text>`);
  }
  const limit = results.plan.throughput.p99LimitMs;
  out.push(`<line x1="${M.left}" y1="${y(limit)}" x2="${M.left + plotW}" y2="${y(limit)}" stroke="#c92a2a" stroke-dasharray="6 4"/>`);
  out.push(`<text x="${M.left + 6}" y="${y(limit) - 5}" fill="#c92a2a">p99 limit ${limit} ms</text>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${M.left + plotW / 2}" y="${H - 12}" text-anchor="middle">offered rate (calls per second, open loop)</text>`);
  series.forEach((s, i) => {
    for (const [key, dash] of [['p99', ''], ['p50', ' stroke-dasharray="4 3"']] as const) {
      const path = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.rate).toFixed(1)},${y(p[key]).toFixed(1)}`).join(' ');
      out.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`);
    }
    for (const p of s.points) {
      out.push(`<circle cx="${x(p.rate).toFixed(1)}" cy="${y(p.p99).toFixed(1)}" r="3.5" fill="${p.passed ? s.color : '#fff'}" stroke="${s.color}" stroke-width="1.5"/>`);
    }
    const ly = M.top + 10 + i * 44;
    const lx = M.left + plotW + 14;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 4}">${escape(s.id)} p99</text>`);
    out.push(`<line x1="${lx}" y1="${ly + 18}" x2="${lx + 24}" y2="${ly + 18}" stroke="${s.color}" stroke-width="2" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${lx + 30}" y="${ly + 22}">${escape(s.id)} p50</text>`);
  });
  const ny = M.top + 10 + series.length * 44;
  out.push(`<text x="${M.left + plotW + 14}" y="${ny + 4}" fill="#555">open circle: step failed</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
