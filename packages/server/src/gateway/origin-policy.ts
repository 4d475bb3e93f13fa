import type { IncomingMessage } from 'node:http';

export interface OriginPolicyOptions {
  /** The URL browsers reach the server at (`--public-url`); its origin is the server's own. */
  publicUrl?: string | undefined;
  /** The interface the server listens on, for the default own origin. */
  host: string;
  /** Browser origins allowed besides the server's own; "*" for any. */
  allowOrigins: readonly string[];
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost'];

/** scheme://host[:port] of an http(s) URL, lower case, the default port left out; null for anything else. */
function originOf(text: string): string | null {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null;
  } catch {
    return null;
  }
}

/** How a URL names the interface `host` listens on: all interfaces as 127.0.0.1, IPv6 in brackets. */
export const urlHost = (host: string): string =>
  host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

/**
 * Which browser pages may open a WebSocket or use the dev login: the server's own origin (from the
 * public URL, or by default what it listens on) and the allow-list ("*" allows any), compared by
 * scheme, host and port. Never the Host header, which a DNS-rebinding page controls. Requests
 * without an Origin header come from non-browser clients and pass the origin check.
 */
export class OriginPolicy {
  private readonly allowAll: boolean;
  private readonly allowed: Set<string>;
  private own: URL[] = [];

  /** `publicUrl`, when given, is an http(s) URL (checkServerOptions). */
  constructor(private readonly options: OriginPolicyOptions) {
    this.allowAll = options.allowOrigins.includes('*');
    this.allowed = new Set(options.allowOrigins.map((origin) => originOf(origin) ?? origin.replace(/\/+$/, '').toLowerCase()));
  }

  /** Called once the server listens on `port`: the default own origin needs it. */
  listening(port: number): void {
    if (this.options.publicUrl !== undefined) {
      this.own = [new URL(originOf(this.options.publicUrl) ?? '')];
      return;
    }
    const name = urlHost(this.options.host);
    const names = LOOPBACK_NAMES.includes(name) ? LOOPBACK_NAMES : [name];
    this.own = names.map((n) => new URL(`http://${n}:${port}`));
  }

  /** The server's own origins. */
  get ownOrigins(): string[] {
    return this.own.map((url) => url.origin);
  }

  /** Whether a page of `origin` (an Origin header) may connect; no header (not a browser) passes. */
  allowsOrigin(origin: string | undefined): boolean {
    if (origin === undefined || this.allowAll) return true;
    const normalized = originOf(origin);
    if (normalized === null) return false;
    return this.allowed.has(normalized) || this.own.some((url) => url.origin === normalized);
  }

  /** Whether a Host header names the server as its own origins do (host and port). */
  allowsHost(host: string | undefined): boolean {
    if (host === undefined || !/^[A-Za-z0-9.\-[\]:]+$/.test(host)) return false;
    return this.own.some((url) => {
      try {
        return new URL(`${url.protocol}//${host}`).host === url.host;
      } catch {
        return false;
      }
    });
  }

  /** The upgrade check: the request's Origin header. */
  allows(request: IncomingMessage): boolean {
    return this.allowsOrigin(request.headers.origin);
  }
}
