import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const cli = fileURLToPath(new URL('../../packages/server/bin/callgate.js', import.meta.url));

/** Runs `callgate …args` to completion (CALLGATE_* variables cleared unless given in `env`). */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, env: { ...process.env, CALLGATE_SECRET: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `callgate serve --port 0 …args`, resolved once it listens; stop it with `child.kill()`. */
export function serveCli(args: string[], env: Record<string, string> = {}): Promise<{ child: ChildProcessWithoutNullStreams; url: string; httpUrl: string }> {
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--log-level', 'info', ...args], {
    cwd: repoRoot,
    env: { ...process.env, CALLGATE_SECRET: '', ...env },
  });
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"url":"(ws:\/\/[^"]+)"/.exec(output);
      if (match?.[1]) resolve({ child, url: match[1], httpUrl: match[1].replace('ws://', 'http://') });
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${output}`)));
  });
}
