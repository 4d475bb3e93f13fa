import type { IncomingMessage } from 'node:http';

/**
 * Which browser pages may open a WebSocket: the server's own origin always, plus the allow-list
 * ("*" allows any). Requests without an Origin header come from non-browser clients and pass.
 */
export class OriginPolicy {
  private readonly allowAll: boolean;
  private readonly allowed: Set<string>;

  constructor(allowOrigins: readonly string[]) {
    this.allowAll = allowOrigins.includes('*');
    this.allowed = new Set(allowOrigins.map((origin) => origin.replace(/\/+$/, '').toLowerCase()));
  }

  allows(request: IncomingMessage): boolean {
    const origin = request.headers.origin;
    if (origin === undefined || this.allowAll) return true;
    const normalized = origin.toLowerCase();
    if (this.allowed.has(normalized)) return true;
    try {
      return new URL(normalized).host === request.headers.host?.toLowerCase();
    } catch {
      return false;
    }
  }
}
