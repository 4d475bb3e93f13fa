import type { CallRecordView, RunningServer } from '@callgate/server';

export interface CallPage {
  calls: CallRecordView[];
  next: string | null;
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}

export interface ApiAnswer<T> {
  status: number;
  headers: Headers;
  body: T;
}

type HttpBase = Pick<RunningServer, 'httpUrl'>;

/** GET on the server's HTTP API with `Authorization: Bearer <credential>` when one is given. */
export async function apiGet<T = CallPage>(server: HttpBase, path: string, credential?: string): Promise<ApiAnswer<T>> {
  const response = await fetch(`${server.httpUrl}${path}`, {
    headers: credential === undefined ? {} : { authorization: `Bearer ${credential}` },
  });
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('application/json');
  return { status: response.status, headers: response.headers, body: (json ? JSON.parse(text) : text) as T };
}

/** Every record a query matches, following the `next` cursors page by page. */
export async function allPages(server: HttpBase, query: string, credential: string): Promise<CallRecordView[]> {
  const calls: CallRecordView[] = [];
  let before: string | null = null;
  do {
    const separator = query.includes('?') ? '&' : '?';
    const page: ApiAnswer<CallPage> = await apiGet(server, before ? `${query}${separator}before=${before}` : query, credential);
    if (page.status !== 200) throw new Error(`${query}: ${page.status} ${JSON.stringify(page.body)}`);
    calls.push(...page.body.calls);
    before = page.body.next;
  } while (before);
  return calls;
}

/** The record of one call, as the admin sees it. */
export async function callRecord(server: HttpBase, callId: string, adminKey: string): Promise<CallRecordView> {
  const answer = await apiGet<CallRecordView>(server, `/api/calls/${callId}`, adminKey);
  if (answer.status !== 200) throw new Error(`call ${callId}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** Fetches /metrics and reads one sample, e.g. metric(text, 'callgate_calls_ended_total', { outcome: 'completed' }). */
export function sample(metricsText: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metricsText.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}
