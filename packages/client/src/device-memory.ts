import { USER_ID_PATTERN } from '@callgate/protocol';
import type { EntrySnapshot } from './queue-entry.js';

/** Key-value storage that outlives a page reload (a browser tab's sessionStorage). */
export interface DeviceStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** What a device keeps of its session, to resume it after a page reload. */
export interface StoredSession {
  /** The server it belongs to. */
  url: string;
  sessionId: string;
  lastSeq: number;
  entry?: EntrySnapshot;
}

/** Where the SDK runs, as far as devices go: how a device is named and what survives a reload. */
export interface DevicePlatform {
  /** The device id of a client that names none: one per browser tab, one per Node process. */
  defaultDeviceId(): string;
  /** Storage that survives a reload of the page (browsers), or null (Node). */
  storage: DeviceStorage | null;
  /**
   * Calls `hidden` when the page is hidden for good or into the back-forward cache
   * (`persisted`), e.g. on pagehide; returns what stops watching. Absent outside browsers.
   */
  watchPage?(hidden: (persisted: boolean) => void): () => void;
}

/** A device id for a new device: 24 hex digits, in the user-id charset the server takes. */
export function randomDeviceId(): string {
  return Array.from(globalThis.crypto.getRandomValues(new Uint8Array(12)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export const isDeviceId = (id: string): boolean => USER_ID_PATTERN.test(id);

const sessionKey = (deviceId: string): string => `callgate.session.${deviceId}`;

/** A device's session as kept in the platform's storage (a tab's sessionStorage), per device id. */
export class DeviceMemory {
  constructor(
    readonly deviceId: string,
    private readonly storage: DeviceStorage | null,
    private readonly url: string,
  ) {}

  /** The session this device had on this server before the page reloaded, if it kept one. */
  load(): StoredSession | null {
    const text = this.attempt(() => this.storage?.getItem(sessionKey(this.deviceId)) ?? null);
    if (!text) return null;
    try {
      const stored = JSON.parse(text) as Partial<StoredSession>;
      if (stored.url !== this.url || typeof stored.sessionId !== 'string' || typeof stored.lastSeq !== 'number') return null;
      return stored as StoredSession;
    } catch {
      return null;
    }
  }

  save(session: Omit<StoredSession, 'url'> | null): void {
    if (!this.storage) return;
    if (session === null) this.attempt(() => this.storage?.removeItem(sessionKey(this.deviceId)));
    else this.attempt(() => this.storage?.setItem(sessionKey(this.deviceId), JSON.stringify({ url: this.url, ...session })));
  }

  /** Storage may refuse (quota, privacy modes, sandboxed frames): the device then just forgets. */
  private attempt<T>(fn: () => T): T | null {
    try {
      return fn();
    } catch {
      return null;
    }
  }
}
