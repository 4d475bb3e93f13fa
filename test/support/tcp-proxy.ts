import net from 'node:net';

/**
 * A TCP proxy in front of the server, so a test can cut a client's network the way a real drop
 * does (no close handshake) and keep it cut until `restore()`.
 */
export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly downstream = new Map<net.Socket, net.Socket>();
  private blocked = false;
  port = 0;

  constructor(private targetPort: number) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
    return this;
  }

  /** Connections open through the proxy (each counted on both sides). */
  get openSockets(): number {
    return this.sockets.size;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Drops every connection without a close handshake and refuses new ones until restore(). */
  cut(): void {
    this.blocked = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }

  /** Stops passing the server's bytes to the client, as a client that stops reading would. */
  stall(): void {
    for (const [upstream, client] of this.downstream) {
      upstream.unpipe(client);
      upstream.pause();
    }
  }

  /** New connections go to `port` from now on, as a load balancer moves clients to another node. */
  retarget(port: number): void {
    this.targetPort = port;
  }

  restore(): void {
    this.blocked = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.blocked) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    this.downstream.set(upstream, client);
    upstream.on('close', () => this.downstream.delete(upstream));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }
}
