import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CallClient } from '@callgate/client';
import { createAccessToken } from '@callgate/server';

/** The repository root: every child runs there unless a test gives another `cwd`. */
export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The `callgate` command. */
export const callgateBin = fileURLToPath(new URL('../../packages/server/bin/callgate.js', import.meta.url));

export interface ProcessOptions {
  /** Added to the environment; every CALLGATE_* variable of the test runner is cleared unless given here. */
  env?: Record<string, string>;
  /** Where the child runs; the repository root by default. */
  cwd?: string;
}

/** How a child ended: its exit code, or the signal that ended it. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr, interleaved as they came. */
  output: string;
}

const running = new Set<NodeProcess>();

/** `node args…` as a child process whose output a test can read and wait on. */
export class NodeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves once the process is gone and its output is read to the end. */
  readonly exited: Promise<Exit>;
  private out = '';
  private stdoutText = '';
  private stderrText = '';
  private ended = false;
  private readonly listeners = new Set<() => void>();

  constructor(args: string[], options: ProcessOptions = {}) {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CALLGATE_')));
    this.child = spawn(process.execPath, args, { cwd: options.cwd ?? repositoryRoot, env: { ...clean, ...options.env } });
    running.add(this);
    const notify = (): void => this.listeners.forEach((listener) => listener());
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.stdoutText += chunk.toString();
      this.out += chunk.toString();
      notify();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderrText += chunk.toString();
      this.out += chunk.toString();
      notify();
    });
    this.exited = new Promise((resolveExit) =>
      this.child.once('close', (code, signal) => {
        this.ended = true;
        running.delete(this);
        notify();
        resolveExit({ code, signal });
      }),
    );
  }

  /** stdout and stderr so far, interleaved as they came. */
  output(): string {
    return this.out;
  }

  stdout(): string {
    return this.stdoutText;
  }

  stderr(): string {
    return this.stderrText;
  }

  /** Resolves with the first match of `pattern` in the output so far or to come; rejects if the process ends first. */
  waitFor(pattern: RegExp, what: string, timeoutMs = 10_000): Promise<RegExpExecArray> {
    return new Promise((resolveMatch, reject) => {
      const check = (): void => {
        const match = pattern.exec(this.out);
        if (match) done(() => resolveMatch(match));
        else if (this.ended) done(() => reject(new Error(`${what}: the process exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.out}`)));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${what}:\n${this.out}`))), timeoutMs);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Sends `signal` if the process still runs, and resolves once it is gone. */
  stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (!this.ended && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** A `callgate serve` child process that listens. */
export class CallgateServer extends NodeProcess {
  private listening = '';

  private constructor(
    args: string[],
    options: ProcessOptions,
    private readonly secret: string | undefined,
  ) {
    super(args, options);
  }

  /** The WebSocket URL it logged (`ws://127.0.0.1:<port>`). */
  get url(): string {
    return this.listening;
  }

  get port(): number {
    return Number(new URL(this.listening).port);
  }

  get httpUrl(): string {
    return this.listening.replace('ws://', 'http://');
  }

  /** A connected SDK client of `userId`, with a token signed by the server's `--secret` (or CALLGATE_SECRET). */
  async client(userId: string): Promise<CallClient> {
    if (!this.secret) throw new Error('client(): start the server with --secret (or CALLGATE_SECRET) to sign tokens for it');
    const token = await createAccessToken({ secret: this.secret, userId, ttlSeconds: 600 });
    const client = new CallClient({ url: this.url, token, reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0.2 } });
    await client.connect();
    return client;
  }

  /** See {@link serveCallgate}. */
  static async start(args: string[], options: ProcessOptions = {}): Promise<CallgateServer> {
    // Each process keeps its records in a database of its own, removed once it is gone, unless the
    // test names one (--db, CALLGATE_DB) or runs it outside the repository (then ./data is the test's).
    const ownDatabase = !args.includes('--db') && options.env?.CALLGATE_DB === undefined && resolve(options.cwd ?? repositoryRoot) === resolve(repositoryRoot);
    const dir = ownDatabase ? mkdtempSync(join(tmpdir(), 'callgate-serve-')) : undefined;
    const db = dir ? ['--db', join(dir, 'records.db')] : [];
    const secretAt = args.lastIndexOf('--secret');
    const secret = secretAt >= 0 ? args[secretAt + 1] : options.env?.CALLGATE_SECRET;
    const server = new CallgateServer([callgateBin, 'serve', '--port', '0', ...db, ...args], options, secret);
    if (dir) void server.exited.then(() => rmSync(dir, { recursive: true, force: true }));
    try {
      server.listening = (await server.waitFor(/"url":"(ws:\/\/[^"]+)"/, 'callgate serve to listen', 30_000))[1]!;
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }
}

/** Starts `node args…` (an example script, say) in the repository root. */
export function startNode(args: string[], options: ProcessOptions = {}): NodeProcess {
  return new NodeProcess(args, options);
}

/** Runs `node args…` to its end. */
export async function runNode(args: string[], options: ProcessOptions = {}): Promise<RunResult> {
  const child = startNode(args, options);
  const { code } = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr(), output: child.output() };
}

/** Runs `callgate …args` to its end. */
export function runCallgate(args: string[], options: ProcessOptions = {}): Promise<RunResult> {
  return runNode([callgateBin, ...args], options);
}

/**
 * Starts `callgate serve --port 0 …args` and resolves once it logs its URL; rejects with its output
 * if it ends (or stays silent for 30 s) first. Unless the test names a records database (--db,
 * CALLGATE_DB) or gives a `cwd` of its own, the process gets `--db <tmpdir>/records.db`, so that
 * no test writes ./data/callgate.db in the repository.
 */
export function serveCallgate(args: string[], options: ProcessOptions = {}): Promise<CallgateServer> {
  return CallgateServer.start(args, options);
}

/** Kills every child process still running (by its own handle), and resolves once they are gone. */
export async function killChildren(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop('SIGKILL')));
}
