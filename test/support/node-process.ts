import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
export const callgateBin = fileURLToPath(new URL('../../packages/server/bin/callgate.js', import.meta.url));

/** A `callgate serve` child process. */
export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  port: number;
  httpUrl: string;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process is gone. */
  exited: Promise<number | string | null>;
  stop(signal?: NodeJS.Signals): Promise<number | string | null>;
}

/** Starts `callgate serve --port 0 …args` and resolves once it logs that it listens. */
export function serve(args: string[], env: Record<string, string> = {}): Promise<ServeProcess> {
  // Each process gets a records database of its own unless the test gives one.
  const db = args.includes('--db') ? [] : ['--db', join(mkdtempSync(join(tmpdir(), 'callgate-node-')), 'records.db')];
  const child = spawn(process.execPath, [callgateBin, 'serve', '--port', '0', ...db, ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, CALLGATE_SECRET: '', ...env },
  });
  let output = '';
  const exited = new Promise<number | string | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(ws:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) {
        const url = match[1];
        const port = Number(new URL(url).port);
        resolve({
          child,
          url,
          port,
          httpUrl: url.replace('ws://', 'http://'),
          output: () => output,
          exited,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`callgate serve exited with ${code}: ${output}`)));
  });
}
