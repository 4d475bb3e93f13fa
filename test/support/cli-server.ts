import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CallClient } from '@callgate/client';
import { createAccessToken } from '@callgate/server';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = fileURLToPath(new URL('../../packages/server/bin/callgate.js', import.meta.url));

export const CLI_SECRET = 'cli-records-secret';

/** A `callgate serve` child process, as an operator runs it. */
export class CliServer {
  private output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly url: string,
  ) {
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get httpUrl(): string {
    return this.url.replace('ws://', 'http://');
  }

  get log(): string {
    return this.output;
  }

  /** Starts `callgate serve --port 0 --secret CLI_SECRET ...args` and resolves once it listens. */
  static start(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliServer> {
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--secret', CLI_SECRET, ...args], {
      cwd: options.cwd ?? root,
      env: { ...process.env, CALLGATE_SECRET: '', ...options.env },
    });
    let output = '';
    return new Promise((resolve, reject) => {
      let server: CliServer | undefined;
      const read = (chunk: Buffer): void => {
        output += chunk.toString();
        if (server) server.output = output;
        const match = /"url":"(ws:\/\/[^"]+)"/.exec(output);
        if (!server && match?.[1]) {
          server = new CliServer(child, match[1]);
          server.output = output;
          resolve(server);
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.on('exit', (code) => {
        if (!server) reject(new Error(`callgate serve exited with ${code}:\n${output}`));
      });
    });
  }

  /** A connected SDK client of `userId`. */
  async client(userId: string): Promise<CallClient> {
    const token = await createAccessToken({ secret: CLI_SECRET, userId, ttlSeconds: 600 });
    const client = new CallClient({ url: this.url, token, reconnect: { initialDelayMs: 50, maxDelayMs: 200, jitter: 0.2 } });
    await client.connect();
    return client;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Ends the process if it still runs. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}
