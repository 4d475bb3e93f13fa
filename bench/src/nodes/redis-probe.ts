import net from 'node:net';

/** A reply of the Redis protocol (RESP2), as far as the bench needs it. */
export type RespValue = string | number | null | RespValue[] | Error;

/**
 * Reads one RESP value from `buffer` at `offset`; null when the buffer does not hold all of it
 * yet. Returns the value and where the next one starts.
 */
export function parseResp(buffer: Buffer, offset: number): { value: RespValue; next: number } | null {
  const lineEnd = buffer.indexOf('\r\n', offset);
  if (lineEnd < 0) return null;
  const kind = String.fromCharCode(buffer[offset]!);
  const line = buffer.toString('utf8', offset + 1, lineEnd);
  const after = lineEnd + 2;
  switch (kind) {
    case '+':
      return { value: line, next: after };
    case '-':
      return { value: new Error(line), next: after };
    case ':':
      return { value: Number(line), next: after };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, next: after };
      if (buffer.length < after + length + 2) return null;
      return { value: buffer.toString('utf8', after, after + length), next: after + length + 2 };
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return { value: null, next: after };
      const items: RespValue[] = [];
      let next = after;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buffer, next);
        if (!item) return null;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`redis probe: unexpected reply byte ${JSON.stringify(kind)}`);
  }
}

const encode = (args: string[]): string => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;

/**
 * One plain connection to a redis-server, spoken to by the bench itself (not through the server's
 * client library): commands out, replies in order. `onPush` receives every reply no command is
 * waiting for (MONITOR's stream of lines).
 */
export class RedisProbe {
  onPush: (value: RespValue) => void = () => {};
  private pending: Buffer = Buffer.alloc(0);
  private readonly waiting: { resolve(value: RespValue): void; reject(error: Error): void }[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk) => this.receive(chunk));
    socket.on('error', (error) => this.failAll(error));
    socket.on('close', () => this.failAll(new Error('redis probe: connection closed')));
  }

  static connect(url: string): Promise<RedisProbe> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port || 6379), hostname);
      socket.once('connect', () => resolve(new RedisProbe(socket)));
      socket.once('error', reject);
    });
  }

  command(...args: string[]): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(encode(args));
    });
  }

  /** INFO of these sections, as field → value. */
  async info(...sections: string[]): Promise<Map<string, string>> {
    const text = await this.command('INFO', ...sections);
    if (typeof text !== 'string') throw new Error(`redis probe: INFO answered ${String(text)}`);
    const fields = new Map<string, string>();
    for (const line of text.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
    }
    return fields;
  }

  /** This connection's own address as Redis shows it in MONITOR (`127.0.0.1:port`). */
  get clientAddress(): string {
    return `${this.socket.localAddress}:${this.socket.localPort}`;
  }

  close(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    for (;;) {
      const reply = offset < this.pending.length ? parseResp(this.pending, offset) : null;
      if (!reply) break;
      offset = reply.next;
      const waiter = this.waiting.shift();
      if (!waiter) this.onPush(reply.value);
      else if (reply.value instanceof Error) waiter.reject(reply.value);
      else waiter.resolve(reply.value);
    }
    this.pending = this.pending.subarray(offset);
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(error);
  }
}
