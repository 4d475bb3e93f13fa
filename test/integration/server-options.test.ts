import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkServerOptions, OPTION_FLAGS, ServerOptionsError, startServer, type OptionPath } from '@callgate/server';
import { runCallgate } from '../support/callgate-process.js';
import { ConfigDir } from '../support/config-files.js';

const dirs: ConfigDir[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => dir.remove()));

const LONG = 'options-secret-0123456789';
const inFlags = (path: OptionPath): string => OPTION_FLAGS[path] ?? path;

describe('checkServerOptions', () => {
  it('names each option by its ServerOptions path and its flag; describe() says it in flags', () => {
    const error = (() => {
      try {
        checkServerOptions({ secret: LONG, webhook: { url: 'https://hooks.example.com', secret: '' } });
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ServerOptionsError);
    const optionsError = error as ServerOptionsError;
    expect(optionsError.message).toBe('webhook.url needs webhook.secret to sign the webhooks (callgate serve: --webhook-url, --webhook-secret)');
    expect(optionsError.options).toEqual(['webhook.url', 'webhook.secret']);
    expect(optionsError.describe(inFlags)).toBe('--webhook-url needs --webhook-secret to sign the webhooks');
  });

  it('is what startServer runs first: a bad option rejects before anything is opened', async () => {
    const dir = new ConfigDir();
    dirs.push(dir);
    const db = join(dir.path, 'records.db');
    await expect(startServer({ port: 0, secret: LONG, db, ringTimeoutMs: -1 })).rejects.toThrow(/^ringTimeoutMs must be a number >= 0 \(callgate serve: --ring-timeout\)$/);
    await expect(startServer({ port: 0, secret: LONG, db, limits: { controlBurst: Number.NaN } })).rejects.toThrow(/^limits\.controlBurst must be a number >= 0$/);
    await expect(startServer({ port: 0, secret: LONG, db, ice: { stun: ['stun:s.example.org'] }, iceServers: () => [] })).rejects.toThrow(ServerOptionsError);
    expect(existsSync(db)).toBe(false);
  });

  it('names flags that callgate serve has', async () => {
    const help = (await runCallgate(['serve', '--help'])).stdout;
    for (const flag of Object.values(OPTION_FLAGS)) if (flag) expect(help).toContain(`${flag} `);
  });
});
