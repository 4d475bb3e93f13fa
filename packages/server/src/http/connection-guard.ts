import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { AddressCount } from '../gateway/address-count.js';

/** How long the HTTP side waits for a client; see docs/security.md. 0 turns one off. */
export interface HttpTimeouts {
  /** A connection that sends nothing for this long is closed: before its first request, and while a request is read. */
  idleMs: number;
  /** Longest time from a request's first byte to the end of its headers (408). */
  headersMs: number;
  /** Longest time to receive a whole request, body included (408). */
  requestMs: number;
  /** How long a kept-alive connection may wait for its next request. */
  keepAliveMs: number;
}

export const defaultHttpTimeouts: HttpTimeouts = {
  idleMs: 10_000,
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
};

/** Bounds on the connections that are not WebSockets (plain HTTP, or not upgraded yet); 0 for none. */
export interface HttpConnectionCaps {
  maxHttpConnections: number;
  maxHttpConnectionsPerIp: number;
}

/** The fastify (and Node) server options that apply `timeouts`. */
export function timeoutOptions(timeouts: HttpTimeouts): {
  connectionTimeout: number;
  keepAliveTimeout: number;
  requestTimeout: number;
  http: { headersTimeout: number; connectionsCheckingInterval: number };
} {
  // Node checks the header and request deadlines on an interval: often enough that they hold
  // within a quarter of the shorter one, at most once a second.
  const deadlines = [timeouts.headersMs, timeouts.requestMs].filter((ms) => ms > 0);
  const checkEveryMs = Math.max(25, Math.min(1000, Math.floor(Math.min(...deadlines) / 4)));
  return {
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    requestTimeout: timeouts.requestMs,
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: checkEveryMs },
  };
}

/**
 * Bounds the connections that are not WebSockets, so that idle or slow clients cannot take every
 * file descriptor: a new connection from an address at its cap is closed at once; at the total
 * cap, the connection that has waited longest is closed to make room (a real client upgrades or
 * is answered within milliseconds, a flood's connections wait). A connection stops counting once
 * it is handed over as an upgrade.
 */
export function capHttpConnections(server: Server, caps: HttpConnectionCaps, logger: Logger): void {
  const open = new AddressCount(caps.maxHttpConnectionsPerIp, caps.maxHttpConnections);
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    if (open.makeRoomFor(address) && open.admit(socket, address)) return;
    logger.debug({ address }, 'too many HTTP connections from this address: closing a new one');
    socket.destroy();
  });
  server.on('upgrade', (_request, socket) => open.release(socket));
}
