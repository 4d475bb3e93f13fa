/** How the page gets its access token: the dev login, or the application that embeds it. */

export interface DemoConfig {
  /** The server mints tokens for anyone (`callgate serve --dev`). */
  devLogin: boolean;
}

export async function loadConfig(): Promise<DemoConfig> {
  try {
    const response = await fetch('api/demo/config');
    if (response.ok) return (await response.json()) as DemoConfig;
  } catch {
    // A page served by something else: take the token from the embedding application.
  }
  return { devLogin: false };
}

export type PageRole = 'customer' | 'agent' | 'supervisor';

/** Dev mode only: a token for `userId`, with its role (and for an agent the queues it serves). */
export async function devLogin(userId: string, role?: 'agent' | 'supervisor', queues?: string[]): Promise<string> {
  const response = await fetch('api/dev/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, ...(role ? { role } : {}), ...(queues ? { queues } : {}) }),
  });
  const body = (await response.json()) as { token?: string; error?: { message: string } };
  if (!response.ok || !body.token) throw new Error(body.error?.message ?? `login failed (HTTP ${response.status})`);
  return body.token;
}

/** A token source that asks for a new token only when the last one is close to expiring. */
export function cachedToken(mint: () => Promise<string>): () => Promise<string> {
  let current: { token: string; expiresAt: number } | null = null;
  return async () => {
    if (current && current.expiresAt - Date.now() > 60_000) return current.token;
    const token = await mint();
    current = { token, expiresAt: tokenClaims(token).expiresAt };
    return token;
  };
}

/**
 * Production: the embedding application hands the page a token, either in the URL fragment
 * (`#token=…`, never sent to a server) or with `postMessage({ type: 'callgate-token', token })`
 * from the parent window when the page runs in an iframe.
 */
export function embeddedToken(): Promise<string> {
  const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromFragment) {
    history.replaceState(null, '', location.pathname + location.search);
    return Promise.resolve(fromFragment);
  }
  return new Promise((resolve) => {
    const listen = (event: MessageEvent): void => {
      const data = event.data as { type?: unknown; token?: unknown } | null;
      if (event.source === window.parent && data?.type === 'callgate-token' && typeof data.token === 'string') {
        window.removeEventListener('message', listen);
        resolve(data.token);
      }
    };
    window.addEventListener('message', listen);
    if (window.parent !== window) window.parent.postMessage({ type: 'callgate-ready' }, '*');
  });
}

/** The user id and role a token names (read for display only; the server checks the signature). */
export function tokenClaims(token: string): { userId: string; role?: string; expiresAt: number } {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: string; role?: unknown; exp?: number };
    return { userId: json.sub ?? '', expiresAt: (json.exp ?? 0) * 1000, ...(typeof json.role === 'string' ? { role: json.role } : {}) };
  } catch {
    return { userId: '', expiresAt: 0 };
  }
}

/** The Callgate server is the page's own origin. */
export function serverUrl(): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
}
