import { fork, type ChildProcess } from 'node:child_process';

/** A request sent to a child process over its IPC channel, answered once. */
export interface Request {
  op: string;
  [field: string]: unknown;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

interface Envelope {
  id: number;
  request: Request;
}

/**
 * One child process spoken to by request/reply over IPC. The child announces itself with a
 * `ready` message carrying what the parent needs (e.g. the URL it listens on).
 */
export class ChildChannel<Ready = unknown> {
  readonly ready: Promise<Ready>;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private exited = false;
  readonly exit: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    this.ready = new Promise<Ready>((resolve, reject) => {
      child.on('message', (message: { ready?: Ready } & Partial<Reply>) => {
        if (message.ready !== undefined) {
          resolve(message.ready);
          return;
        }
        const waiter = message.id === undefined ? undefined : this.waiting.get(message.id);
        if (!waiter || message.id === undefined) return;
        this.waiting.delete(message.id);
        if (message.ok) waiter.resolve(message.result);
        else waiter.reject(new Error(`${name}: ${message.error ?? 'failed'}`));
      });
      child.once('exit', (code, signal) => {
        this.exited = true;
        const error = new Error(`${name} exited (code ${code}, signal ${signal})`);
        reject(error);
        for (const waiter of this.waiting.values()) waiter.reject(error);
        this.waiting.clear();
      });
    });
  }

  /** Starts `script` (a compiled bench module) as a child process with an IPC channel. */
  static start<Ready>(name: string, script: URL, args: string[] = [], execArgv: string[] = []): ChildChannel<Ready> {
    const child = fork(script, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    return new ChildChannel<Ready>(name, child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request<T>(request: Request): Promise<T> {
    if (this.exited) return Promise.reject(new Error(`${this.name} has exited`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      const envelope: Envelope = { id, request };
      this.child.send(envelope);
    });
  }

  /** Asks the child to stop (op `stop`), and kills it if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    this.request({ op: 'stop' }).catch(() => {});
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }
}

/** Child side: announces `ready` and answers each request with `handle`'s result or error. */
export function answerRequests(ready: unknown, handle: (request: Request) => Promise<unknown>): void {
  const send = (message: unknown): void => {
    process.send?.(message);
  };
  process.on('message', (envelope: Envelope) => {
    handle(envelope.request).then(
      (result) => send({ id: envelope.id, ok: true, result } satisfies Reply),
      (error: unknown) => send({ id: envelope.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
    );
  });
  // The parent went away: nothing is left to serve.
  process.on('disconnect', () => process.exit(0));
  send({ ready });
}
