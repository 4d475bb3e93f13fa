import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createAccessToken, type AccessTokenOptions, type RunningServer } from '@callgate/server';
import { RawSocket } from './raw-socket.js';

/** A temporary directory for --config files; `remove()` deletes it. */
export class ConfigDir {
  readonly path = mkdtempSync(join(tmpdir(), 'callgate-config-'));

  /** Writes `content` (JSON.stringify'd unless a string) to `name` in the directory; returns its full path. */
  write(name: string, content: unknown): string {
    const file = join(this.path, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return file;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

/** Authenticates on `url` with a token of `token` and resolves with the answer: welcome or error. */
export async function authAnswer(url: string, token: AccessTokenOptions): Promise<Record<string, unknown>> {
  const socket = await RawSocket.open({ url } as RunningServer);
  try {
    socket.send({ type: 'auth', token: await createAccessToken(token) });
    return await socket.next('the answer to auth');
  } finally {
    socket.close();
  }
}

/** The first line of a command's output (`error: …`). */
export const firstLine = (text: string): string => text.split('\n')[0] ?? '';
