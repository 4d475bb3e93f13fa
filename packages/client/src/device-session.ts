import { ErrorCode } from '@callgate/protocol';
import type { SignalConnection } from './connection.js';
import { DeviceMemory, isDeviceId, randomDeviceId, type DevicePlatform, type StoredSession } from './device-memory.js';
import { CallgateError } from './errors.js';

/** Somewhere without sessionStorage or a page: every client is a device of its own. */
export const detachedDevice: DevicePlatform = { storage: null, defaultDeviceId: randomDeviceId };

/** The device id a client uses: the one the app gave (checked), else the platform's. */
export function deviceIdFor(given: string | undefined, platform: DevicePlatform): string {
  if (given === undefined) return platform.defaultDeviceId();
  if (!isDeviceId(given)) throw new CallgateError(ErrorCode.MALFORMED, 'deviceId: 1-64 characters of A-Z a-z 0-9 _ . @ -');
  return given;
}

/**
 * This device's side of its session: the session kept across a page reload (browsers), resumed
 * with `reload: true` by the next page; and `leaving` when the page goes away for good.
 */
export class DeviceSession {
  /**
   * After a reload: the last seq the old page heard. The server's state of the session repeats
   * messages up to it (a call that started before the reload, whose media must be joined again).
   */
  replayUpTo: number | null = null;
  private readonly memory: DeviceMemory;
  private readonly unwatch: () => void;

  constructor(
    private readonly connection: SignalConnection,
    platform: DevicePlatform,
    url: string,
    private readonly current: () => Omit<StoredSession, 'url'> | null,
  ) {
    this.memory = new DeviceMemory(connection.deviceId, platform.storage, url);
    connection.on('welcome', (welcome) => {
      if (!welcome.resumed) this.replayUpTo = null;
      this.save();
    });
    connection.on('sequenced', () => this.save());
    // Left on purpose, or another socket took the session over: nothing to resume any more.
    connection.on('closed', (error) => {
      if (error === null || error.code === ErrorCode.REPLACED) this.memory.save(null);
    });
    this.unwatch =
      platform.watchPage?.((persisted) => {
        // A page kept in the back-forward cache may come back: it is hidden, not leaving.
        if (!persisted) connection.leaving();
        this.save();
      }) ?? (() => {});
  }

  /** Takes up the session the page had before it reloaded, if it kept one for this server; returns it. */
  restore(): StoredSession | null {
    const stored = this.memory.load();
    if (!stored) return null;
    this.connection.reload(stored.sessionId, stored.lastSeq);
    this.replayUpTo = stored.lastSeq;
    return stored;
  }

  /** Whether `seq` repeats a message the page heard before it reloaded. */
  replayed(seq: number): boolean {
    return this.replayUpTo !== null && seq <= this.replayUpTo;
  }

  close(): void {
    this.unwatch();
  }

  private save(): void {
    const session = this.current();
    this.memory.save(session && { ...session, lastSeq: Math.max(session.lastSeq, this.replayUpTo ?? 0) });
  }
}
