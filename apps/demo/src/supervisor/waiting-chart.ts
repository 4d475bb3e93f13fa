/** A small inline SVG chart of waiting customers over the last hour (one point a minute). */
export function waitingChart(points: number[]): SVGSVGElement {
  const width = 600;
  const height = 200;
  const pad = { left: 34, right: 10, top: 14, bottom: 28 };
  const max = Math.max(1, ...points);
  const x = (i: number): number => pad.left + (i / Math.max(1, points.length - 1)) * (width - pad.left - pad.right);
  const y = (v: number): number => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);
  const line = points.map((v, i) => `${i === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const area = `${line} L${x(points.length - 1).toFixed(1)},${y(0)} L${x(0).toFixed(1)},${y(0)} Z`;
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Waiting customers over the last hour: now ${points[points.length - 1] ?? 0}, at most ${Math.max(0, ...points)}`);
  const add = (tag: string, attributes: Record<string, string>, text?: string): void => {
    const element = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attributes)) element.setAttribute(k, v);
    if (text !== undefined) element.textContent = text;
    svg.append(element);
  };
  add('line', { x1: String(pad.left), x2: String(width - pad.right), y1: String(y(0)), y2: String(y(0)), class: 'axis' });
  add('line', { x1: String(pad.left), x2: String(width - pad.right), y1: String(y(max)), y2: String(y(max)), class: 'grid' });
  add('text', { x: String(pad.left - 6), y: String(y(max) + 6), 'text-anchor': 'end' }, String(max));
  add('text', { x: String(pad.left - 6), y: String(y(0) + 6), 'text-anchor': 'end' }, '0');
  add('text', { x: String(pad.left), y: String(height - 6) }, '60 min ago');
  add('text', { x: String(width - pad.right), y: String(height - 6), 'text-anchor': 'end' }, 'now');
  add('path', { d: area, class: 'area' });
  add('path', { d: line, class: 'line' });
  return svg;
}
