import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const cli = fileURLToPath(new URL('../../packages/server/bin/callgate.js', import.meta.url));

/** A child process whose output a test can wait on. */
export interface Child {
  process: ChildProcessWithoutNullStreams;
  output(): string;
  /** Resolves with the first match of `pattern` in the output so far or to come. */
  waitFor(pattern: RegExp, what: string, timeoutMs?: number): Promise<RegExpExecArray>;
}

const started: ChildProcessWithoutNullStreams[] = [];

/** Starts `node args…` in the repository root with the environment plus `env` (CALLGATE_* cleared unless given). */
export function start(args: string[], env: Record<string, string> = {}): Child {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('CALLGATE_')));
  const child = spawn(process.execPath, args, { cwd: root, env: { ...clean, ...env } });
  started.push(child);
  let output = '';
  const listeners = new Set<() => void>();
  const grow = (chunk: Buffer): void => {
    output += chunk.toString();
    listeners.forEach((listener) => listener());
  };
  child.stdout.on('data', grow);
  child.stderr.on('data', grow);
  child.on('exit', () => listeners.forEach((listener) => listener()));
  return {
    process: child,
    output: () => output,
    waitFor(pattern, what, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = pattern.exec(output);
          if (match) done(() => resolve(match));
          else if (child.exitCode !== null) done(() => reject(new Error(`${what}: the process exited (${child.exitCode}):\n${output}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${what}:\n${output}`))), timeoutMs);
        const done = (settle: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** Runs `node args…` to its end. */
export async function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = start(args, env);
  const code = await new Promise<number | null>((resolve) => child.process.on('close', resolve));
  return { code, output: child.output() };
}

/** `callgate serve --port 0 …`; resolves with its URL once it listens. */
export async function serve(args: string[], env: Record<string, string> = {}): Promise<Child & { url: string }> {
  const child = start([cli, 'serve', '--port', '0', ...args], env);
  const match = await child.waitFor(/"url":"(ws:\/\/[^"]+)"/, 'the server to listen');
  return { ...child, url: match[1]! };
}

/** Kills every child a test started (by its own handle). */
export function killChildren(): void {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
}
