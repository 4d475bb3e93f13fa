import net from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * A bare TCP connection to a server, for tests of what happens below HTTP and WebSocket: idle
 * connections, bytes dripped one at a time, a WebSocket that never answers a close frame.
 */
export class TcpClient {
  /** Every byte the server sent, as text. */
  received = '';
  /** Resolves when the connection is gone (closed by either side, or reset). */
  readonly closed: Promise<void>;
  private dripping: NodeJS.Timeout | undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => clearInterval(this.dripping));
  }

  /** Connects to `port` on 127.0.0.1 from `localAddress` (any 127.x.y.z is this machine: a test's other "client address"). */
  static async open(port: number, localAddress = '127.0.0.1'): Promise<TcpClient> {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('error', reject);
    });
    return new TcpClient(socket);
  }

  get isClosed(): boolean {
    return this.socket.destroyed;
  }

  write(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text, 'latin1');
  }

  /** Sends `text` one byte every `everyMs`, starting over at its end, until the connection is gone. */
  drip(text: string, everyMs: number): void {
    let at = 0;
    this.dripping = setInterval(() => {
      this.write(text[at % text.length]!);
      at++;
    }, everyMs);
  }

  /** Sends a WebSocket upgrade request for `path` and waits for the 101 answer. */
  async upgrade(path: string, host = `127.0.0.1:${this.socket.remotePort}`): Promise<void> {
    this.write(
      `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    const deadline = Date.now() + 5000;
    while (!this.received.includes('\r\n\r\n')) {
      if (this.socket.destroyed || Date.now() > deadline) throw new Error(`no upgrade answer: ${JSON.stringify(this.received)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (!this.received.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${this.received.split('\r\n')[0]}`);
  }

  /** Whether the connection is gone within `ms` (a generous bound: the test's configured timeouts are far smaller). */
  async closesWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const closed = await Promise.race([this.closed.then(() => true), late]);
    clearTimeout(timer);
    return closed;
  }

  destroy(): void {
    clearInterval(this.dripping);
    this.socket.destroy();
  }
}
