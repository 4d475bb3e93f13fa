import WebSocket from 'ws';
import type { RunningServer } from '@callgate/server';
import { EventQueue } from './event-queue.js';

/** A bare WebSocket to the user endpoint (or, with `path`, another one such as `/business`), for tests that send what no SDK would. */
export class RawSocket {
  readonly messages = new EventQueue<Record<string, unknown>>();
  readonly closed: Promise<{ code: number; reason: string }>;
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  static async open(
    server: Pick<RunningServer, 'url'>,
    query = '',
    options: { autoPong?: boolean; path?: string; localAddress?: string } = {},
  ): Promise<RawSocket> {
    const { path = '/ws', ...socketOptions } = options;
    const socket = new WebSocket(`${server.url}${path}${query}`, socketOptions);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new RawSocket(socket);
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  next(what = 'a message'): Promise<Record<string, unknown>> {
    return this.messages.next(what);
  }

  close(): void {
    this.socket.terminate();
  }
}

/** Opens a WebSocket and resolves with the HTTP status of a refused upgrade, or 101. */
export function upgradeStatus(url: string, headers: Record<string, string> = {}, options: { localAddress?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers, ...options });
    socket.once('open', () => {
      socket.terminate();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
    socket.once('error', (error) => {
      if (!String(error.message).includes('Unexpected server response')) reject(error);
    });
  });
}
