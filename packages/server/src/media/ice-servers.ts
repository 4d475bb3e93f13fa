import { createHmac } from 'node:crypto';
import type { IceServer } from '@callgate/protocol';

export interface TurnConfig {
  /** turn: or turns: URLs of one TURN service, e.g. turn:turn.example.com:3478?transport=udp. */
  urls: string[];
  /** The secret shared with the TURN server (coturn's `static-auth-secret`). */
  secret: string;
  /** How long a credential stays valid, in seconds. Default 3600. */
  ttlSeconds?: number;
}

export interface IceServerConfig {
  /** stun: or stuns: URLs. */
  stun?: string[];
  turn?: TurnConfig;
  /** Clock for credential expiry, in ms since epoch. */
  now?: () => number;
}

const STUN_URL = /^stuns?:[^\s]+$/;
const TURN_URL = /^turns?:[^\s]+$/;

/**
 * A time-limited TURN credential, as coturn's `use-auth-secret` checks it: the username is
 * `expiry:userId` (expiry in seconds since epoch) and the password base64(HMAC-SHA1(secret, username)).
 */
export function turnCredential(secret: string, userId: string, expiresAt: number): { username: string; credential: string } {
  const username = `${expiresAt}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** Throws a TypeError naming the first bad setting. */
export function checkIceServerConfig(config: IceServerConfig): void {
  for (const url of config.stun ?? []) {
    if (!STUN_URL.test(url)) throw new TypeError(`not a STUN URL: ${JSON.stringify(url)} (expected stun:host[:port])`);
  }
  const turn = config.turn;
  if (!turn) return;
  if (turn.urls.length === 0) throw new TypeError('a TURN service needs at least one turn: URL');
  for (const url of turn.urls) {
    if (!TURN_URL.test(url)) throw new TypeError(`not a TURN URL: ${JSON.stringify(url)} (expected turn:host[:port][?transport=udp|tcp])`);
  }
  if (!turn.secret) throw new TypeError('a TURN service needs its shared secret (--turn-secret)');
  if (turn.ttlSeconds !== undefined && !(Number.isInteger(turn.ttlSeconds) && turn.ttlSeconds > 0)) {
    throw new TypeError('the TURN credential lifetime is a whole number of seconds > 0');
  }
}

/** The ICE servers each user gets in its welcome message: STUN as given, TURN with a fresh credential. */
export function iceServersFor(config: IceServerConfig): (userId: string) => IceServer[] {
  checkIceServerConfig(config);
  const now = config.now ?? Date.now;
  const stun = config.stun ?? [];
  const turn = config.turn;
  return (userId) => {
    const servers: IceServer[] = stun.length ? [{ urls: [...stun] }] : [];
    if (turn) {
      const expiresAt = Math.floor(now() / 1000) + (turn.ttlSeconds ?? 3600);
      servers.push({ urls: [...turn.urls], ...turnCredential(turn.secret, userId, expiresAt) });
    }
    return servers;
  };
}
