import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@callgate/client';
import { turnCredential } from '@callgate/server';
import { killChildren, runCallgate, serveCallgate } from '../support/callgate-process.js';
import { authAnswer, ConfigDir, firstLine } from '../support/config-files.js';
import { upgradeStatus } from '../support/raw-socket.js';

const dirs: ConfigDir[] = [];

afterEach(async () => {
  await killChildren();
  dirs.splice(0).forEach((dir) => dir.remove());
});

function configDir(): ConfigDir {
  const dir = new ConfigDir();
  dirs.push(dir);
  return dir;
}

const LONG = 'config-secret-0123456789';
// Each case below runs the command to its end, one after the other; on a loaded machine that takes a while.

/** The TURN credential's lifetime in a welcome, in seconds from now (within a second or two). */
function turnLifetime(welcome: Record<string, unknown>): number {
  const turn = (welcome.iceServers as { username?: string }[]).find((server) => server.username);
  return Number(turn?.username?.split(':')[0]) - Math.floor(Date.now() / 1000);
}

describe('callgate serve --config', () => {
  it('takes every option from the file, and flags over CALLGATE_* variables over the file', async () => {
    const dir = configDir();
    dir.write('conf/callgate.json', {
      secret: 'file-secret-0123456789',
      'public-url': 'https://file.example.com',
      stun: 'stun:file.example.com',
      turnUrl: ['turn:file.example.com:3478'],
      'turn-secret': 'file-turn-secret',
      'turn-ttl': 100,
      db: './records.db',
    });
    // Relative to the working directory, as a flag; paths inside are relative to the file.
    const config = ['--config', 'conf/callgate.json'];
    const env = { CALLGATE_SECRET: 'env-secret-0123456789', CALLGATE_TURN_TTL: '200' };
    const [flagged, plain] = await Promise.all([
      serveCallgate([...config, '--public-url', 'https://flag.example.com', '--turn-ttl', '300'], { cwd: dir.path, env }),
      serveCallgate(config, { cwd: dir.path, env }),
    ]);
    expect(existsSync(join(dir.path, 'conf', 'records.db'))).toBe(true);

    // The secret: CALLGATE_SECRET over the file's.
    expect(await authAnswer(plain.url, { secret: 'file-secret-0123456789', userId: 'ann' })).toMatchObject({ type: 'error', code: ErrorCode.UNAUTHORIZED });
    const welcome = await authAnswer(plain.url, { secret: 'env-secret-0123456789', userId: 'ann' });
    // STUN and TURN from the file (a string for a repeatable option; a camelCase key), the TURN lifetime from the variable.
    expect(welcome.iceServers).toMatchObject([{ urls: ['stun:file.example.com'] }, { urls: ['turn:file.example.com:3478'] }]);
    const [, turn] = welcome.iceServers as { username: string; credential: string }[];
    expect(turn!.credential).toBe(turnCredential('file-turn-secret', 'ann', Number(turn!.username.split(':')[0])).credential);
    expect(turnLifetime(welcome)).toBeGreaterThanOrEqual(199);
    expect(turnLifetime(welcome)).toBeLessThanOrEqual(201);
    // The public URL from the file.
    expect(await upgradeStatus(`${plain.url}/ws`, { Origin: 'https://file.example.com' })).toBe(101);

    // Flags over both.
    expect(turnLifetime(await authAnswer(flagged.url, { secret: 'env-secret-0123456789', userId: 'bo' }))).toBeGreaterThanOrEqual(299);
    expect(await upgradeStatus(`${flagged.url}/ws`, { Origin: 'https://flag.example.com' })).toBe(101);
    expect(await upgradeStatus(`${flagged.url}/ws`, { Origin: 'https://file.example.com' })).toBe(403);
  });

  it('refuses a file with an unknown key, a value of the wrong type or a bad value, naming the key and the file', async () => {
    const dir = configDir();
    const cases: [unknown, RegExp][] = [
      [{ secret: LONG, 'ring-timout': 30 }, /"ring-timout" is not an option of callgate serve/],
      [{ secret: LONG, 'ring-timeout': '30' }, /"ring-timeout" must be a number \(as for --ring-timeout <seconds>\), not "30"/],
      [{ secret: LONG, dev: 'yes' }, /"dev" must be true or false/],
      [{ secret: [LONG] }, /"secret" must be a string/],
      [{ secret: LONG, stun: ['stun:a.example.org', 3] }, /"stun" must be a string or an array of strings/],
      [{ secret: LONG, 'log-level': 'loud' }, /"log-level": "loud" is invalid\. Allowed choices are fatal, error/],
      [{ secret: LONG, config: 'other.json' }, /"config" is not an option/],
      [{ secret: LONG, 'ring-timeout': 1, ringTimeout: 2 }, /"ringTimeout" and "ring-timeout" are the same option/],
      // Checked even where a flag wins over it.
      [{ secret: LONG, port: 'any' }, /"port" must be a number/],
      [[{ secret: LONG }], /expected an object of options/],
      ['{"secret": ', /not JSON: /],
    ];
    for (const [content, message] of cases) {
      const file = dir.write('bad.json', content);
      const result = await runCallgate(['serve', '--port', '0', '--config', file]);
      expect(result.code, JSON.stringify(content)).toBe(1);
      expect(firstLine(result.stderr), JSON.stringify(content)).toMatch(new RegExp(`^error: --config ${file}: ${message.source}`));
    }
    const missing = await runCallgate(['serve', '--port', '0'], { env: { CALLGATE_CONFIG: join(dir.path, 'none.json') } });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`--config ${join(dir.path, 'none.json')}: ENOENT`);
  }, 120_000);

  it('says what a flag would say of a value the server refuses, and that the file set it', async () => {
    const dir = configDir();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ 'ring-timeout': -1 }, ['--ring-timeout=-1']],
      [{ 'webhook-url': 'http://127.0.0.1:9/hooks' }, ['--webhook-url', 'http://127.0.0.1:9/hooks']],
      [{ 'public-url': 'ftp://calls.example.com' }, ['--public-url', 'ftp://calls.example.com']],
      [{ 'business-secret': LONG }, ['--business-secret', LONG]],
      [{ stun: ['stun.example.org'] }, ['--stun', 'stun.example.org']],
      [{ port: 70000 }, ['--port', '70000']],
    ];
    for (const [options, flags] of cases) {
      const file = dir.write('refused.json', { secret: LONG, ...options });
      const [key] = Object.keys(options);
      const [fromFile, fromFlags] = await Promise.all([
        runCallgate(['serve', '--config', file, ...(key === 'port' ? [] : ['--port', '0'])]),
        runCallgate(['serve', '--secret', LONG, '--port', '0', ...flags]),
      ]);
      expect(fromFlags.code, flags.join(' ')).toBe(1);
      expect(fromFile.code, flags.join(' ')).toBe(1);
      expect(firstLine(fromFile.stderr)).toBe(`${firstLine(fromFlags.stderr)} (--${key} from "${key}" in ${file})`);
    }
  }, 120_000);
});
