import { createHmac } from 'node:crypto';
import type { IceServer } from '@callgate/protocol';
import { checkIceServerConfig } from '../options/server-options.js';

export { checkIceServerConfig };

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

/**
 * A time-limited TURN credential, as coturn's `use-auth-secret` checks it: the username is
 * `expiry:userId` (expiry in seconds since epoch) and the password base64(HMAC-SHA1(secret, username)).
 */
export function turnCredential(secret: string, userId: string, expiresAt: number): { username: string; credential: string } {
  const username = `${expiresAt}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
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
