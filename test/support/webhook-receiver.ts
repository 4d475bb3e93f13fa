import http from 'node:http';
import { EventQueue } from './event-queue.js';

/** One request the receiver got, as it arrived. */
export interface ReceivedHook {
  headers: http.IncomingHttpHeaders;
  /** The raw body, byte for byte. */
  body: Buffer;
  /** The body parsed as JSON. */
  event: Record<string, unknown>;
}

/** What to answer; may wait. */
export type HookAnswer = (hook: ReceivedHook) => { status: number; body?: string } | Promise<{ status: number; body?: string }>;

/** A real HTTP server on a loopback port that records every webhook and answers as told. */
export class WebhookReceiver {
  readonly hooks = new EventQueue<ReceivedHook>();
  readonly all: ReceivedHook[] = [];
  answer: HookAnswer = () => ({ status: 204 });
  private readonly server: http.Server;
  url = '';

  constructor() {
    this.server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks);
        const hook: ReceivedHook = { headers: request.headers, body, event: JSON.parse(body.toString('utf8')) as Record<string, unknown> };
        this.all.push(hook);
        this.hooks.push(hook);
        void Promise.resolve(this.answer(hook)).then(
          ({ status, body: text }) => response.writeHead(status, { 'content-type': 'application/json' }).end(text ?? ''),
          () => response.destroy(),
        );
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/hooks`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
