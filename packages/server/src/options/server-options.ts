import { MIN_SECRET_BYTES, shortSecret } from '../auth/secrets.js';
import { defaultLimits } from '../gateway/limits.js';
import { defaultHttpTimeouts, type HttpTimeouts } from '../http/connection-guard.js';
import type { IceServerConfig } from '../media/ice-servers.js';
import type { ServerOptions } from '../server.js';
import { ServerOptionsError, type OptionNamer, type OptionPath } from './option-error.js';

/*
 * Every rule about the value of one option, or about options together, written once. startServer
 * runs checkServerOptions before it opens anything; `callgate serve` only parses its flags (and
 * --config file) into ServerOptions and prints the error's `describe(flagOf)`.
 */

const fail = (text: (name: OptionNamer) => string): never => {
  throw new ServerOptionsError(text);
};

const isHttpUrl = (text: string): boolean => {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
};

const STUN_URL = /^stuns?:[^\s]+$/;
const TURN_URL = /^turns?:[^\s]+$/;

function atLeastZero(path: OptionPath, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) fail((name) => `${name(path)} must be a number >= 0`);
}

function checkNumbers(options: ServerOptions): void {
  const { port } = options;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    fail((name) => `${name('port')} must be a whole number from 0 to 65535`);
  }
  for (const path of ['ringTimeoutMs', 'graceMs', 'heartbeatIntervalMs', 'authTimeoutMs', 'maxPayload', 'nodeTimeoutMs', 'businessTimeoutMs', 'offlineWaitMs'] as const) {
    atLeastZero(path, options[path]);
  }
  const { maxDevices } = options;
  if (maxDevices !== undefined && !(Number.isInteger(maxDevices) && maxDevices >= 1 && maxDevices <= 100)) {
    fail((name) => `${name('maxDevices')} must be a whole number from 1 to 100`);
  }
  for (const field of Object.keys(defaultLimits) as (keyof typeof defaultLimits)[]) atLeastZero(`limits.${field}`, options.limits?.[field]);
  const timeouts: HttpTimeouts = { ...defaultHttpTimeouts, ...options.httpTimeouts };
  for (const field of Object.keys(defaultHttpTimeouts) as (keyof HttpTimeouts)[]) atLeastZero(`httpTimeouts.${field}`, timeouts[field]);
  if (timeouts.requestMs > 0 && timeouts.headersMs > timeouts.requestMs) {
    fail((name) => `${name('httpTimeouts.headersMs')} must not be longer than ${name('httpTimeouts.requestMs')}`);
  }
}

function checkWebhook(webhook: ServerOptions['webhook']): void {
  if (!webhook) return;
  if (webhook.url && !webhook.secret) fail((name) => `${name('webhook.url')} needs ${name('webhook.secret')} to sign the webhooks`);
  if (!webhook.url) fail((name) => `${name('webhook.secret')}, ${name('webhook.veto')} and ${name('webhook.push')} need ${name('webhook.url')}`);
  if (!isHttpUrl(webhook.url)) fail((name) => `${name('webhook.url')} must be an http:// or https:// URL`);
}

function checkSecrets(options: ServerOptions): void {
  if (options.businessSecret !== undefined && options.businessSecret === options.secret) {
    fail((name) => `${name('businessSecret')} must differ from the token secret`);
  }
  if (options.dev) return;
  const short = shortSecret({
    secret: options.secret,
    businessSecret: options.businessSecret,
    adminKey: options.adminKey,
    'webhook.secret': options.webhook?.secret,
  } satisfies Partial<Record<OptionPath, string | undefined>>) as OptionPath | undefined;
  if (short) fail((name) => `${name(short)} must be at least ${MIN_SECRET_BYTES} bytes outside dev mode; openssl rand -base64 24 makes one`);
}

const DURATION = /^(\d{1,6})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * The records' retention in milliseconds: `90d`, `12h`, `30m`, or a number of milliseconds; at
 * least a minute. Undefined: records are kept forever.
 */
export function recordsRetentionMs(value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') {
    if (!(Number.isSafeInteger(value) && value >= UNIT_MS.m)) {
      return fail((name) => `${name('recordsRetention')} must be at least a minute: a number of milliseconds >= 60000, or a text like 90d, 12h, 30m`);
    }
    return value;
  }
  const match = DURATION.exec(typeof value === 'string' ? value.trim() : '');
  const amount = Number(match?.[1]);
  if (!match || !(amount > 0)) {
    return fail((name) => `${name('recordsRetention')} must be a number and a unit, m (minutes), h (hours) or d (days), e.g. 90d, 12h, 30m; not ${JSON.stringify(value)}`);
  }
  return amount * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Throws a ServerOptionsError naming the first bad setting; iceServersFor runs it too. */
export function checkIceServerConfig(config: IceServerConfig): void {
  for (const url of config.stun ?? []) {
    if (!STUN_URL.test(url)) fail((name) => `${name('ice.stun')}: not a STUN URL: ${JSON.stringify(url)} (expected stun:host[:port])`);
  }
  const turn = config.turn;
  if (!turn) return;
  if (turn.urls.length === 0) fail((name) => `a TURN service needs ${name('ice.turn.urls')}: at least one turn: or turns: URL`);
  for (const url of turn.urls) {
    if (!TURN_URL.test(url)) {
      fail((name) => `${name('ice.turn.urls')}: not a TURN URL: ${JSON.stringify(url)} (expected turn:host[:port][?transport=udp|tcp])`);
    }
  }
  if (!turn.secret) fail((name) => `a TURN service needs its shared secret: ${name('ice.turn.secret')}`);
  if (turn.ttlSeconds !== undefined && !(Number.isInteger(turn.ttlSeconds) && turn.ttlSeconds > 0)) {
    fail((name) => `${name('ice.turn.ttlSeconds')}: the TURN credential lifetime is a whole number of seconds > 0`);
  }
}

/** Throws a ServerOptionsError naming the first option that cannot work. Opens nothing. */
export function checkServerOptions(options: ServerOptions): void {
  if (!options.secret) fail((name) => `a token secret is required: ${name('secret')}`);
  checkNumbers(options);
  checkWebhook(options.webhook);
  checkSecrets(options);
  if (options.publicUrl !== undefined && !isHttpUrl(options.publicUrl)) {
    fail((name) => `${name('publicUrl')} must be an http:// or https:// URL, e.g. https://calls.example.com`);
  }
  if (options.ice && options.iceServers) fail((name) => `give ${name('ice')} or ${name('iceServers')}, not both`);
  if (options.ice) checkIceServerConfig(options.ice);
  recordsRetentionMs(options.recordsRetention);
}
