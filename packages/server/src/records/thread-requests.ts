import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** What a records thread answers to the request with `id`: its result, or why it failed. */
export interface ThreadReply {
  id: number;
  result?: unknown;
  error?: string;
}

/**
 * Requests to a records thread (sqlite-reader-thread.ts, sqlite-writer-thread.ts), each answered
 * once by its id. The thread starts with the first request; one that dies fails what waits on it
 * and is started again by the next request.
 */
export class ThreadRequests {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();

  /** Whether a thread's module is here (it is in the built package, not among the sources). */
  static available(module: URL): boolean {
    return existsSync(fileURLToPath(module));
  }

  constructor(
    private readonly module: URL,
    private readonly workerData: unknown,
    /** What the thread is, for the error when it exits: "reader", "writer". */
    private readonly name: string,
  ) {}

  send(message: object): Promise<unknown> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...message });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage({ close: true });
    await exited;
  }

  private start(): Worker {
    const worker = new Worker(this.module, { workerData: this.workerData });
    worker.on('message', (message: ThreadReply) => {
      const waiting = this.pending.get(message.id);
      if (!waiting) return;
      this.pending.delete(message.id);
      if (message.error === undefined) waiting.resolve(message.result);
      else waiting.reject(new Error(message.error));
    });
    const fail = (error: Error): void => {
      if (this.worker === worker) this.worker = null;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the records ${this.name} thread exited (${code})`)));
    this.worker = worker;
    return worker;
  }
}
