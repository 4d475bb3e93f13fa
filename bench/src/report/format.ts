/** Table and number formatting shared by the report's sections. */
export type Row = (string | number)[];

export function table(head: string[], rows: Row[]): string {
  const line = (cells: Row): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

export const ratio = (value: number | null | undefined, base: number | null | undefined): string =>
  value == null || base == null || base === 0 ? '—' : `${(value / base).toFixed(2)}×`;
export const kib = (bytes: number | null): string => (bytes === null ? '—' : (bytes / 1024).toFixed(1));
export const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(0);
export const ms = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const pct = (share: number): string => `${Math.round(share * 100)} %`;
/** Server CPU time per completed call, in microseconds of one core: what a call costs, whoever is the bottleneck. */
export const cpuPerCall = (s: { serverCpu: number; completedPerSecond: number }): number | null =>
  s.completedPerSecond > 0 ? Math.round((s.serverCpu * 1e6) / s.completedPerSecond) : null;
export const orDash = (n: number | null): string | number => n ?? '—';
