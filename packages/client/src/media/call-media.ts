import { VideoCallEvent, endsCall, type EventMessage, type IceServer, type SignalData, type SignalDeliveryMessage, type WelcomeMessage } from '@callgate/protocol';
import type { Call } from '../call.js';
import type { SignalConnection } from '../connection.js';
import { MediaSession } from './media-session.js';
import type { MediaOptions, MediaPlatform } from './platform.js';

export interface CallMediaHost {
  /** Sends a message on the user's connection; false when not connected. */
  send(message: object): boolean;
  /** The ICE servers from the server's welcome. */
  iceServers(): IceServer[];
  started(session: MediaSession): void;
}

/** Signals that arrive before their call's START is handled wait this long, at most this many. */
const EARLY_SIGNAL_MS = 10_000;
const EARLY_SIGNAL_MAX = 64;

/**
 * A client's media side: one MediaSession per started call, created at START and closed at the
 * call's end; signals from the server go to the session of their room.
 */
export class CallMedia {
  private readonly sessions = new Map<string, MediaSession>();
  private early: { roomId: number; data: SignalData; at: number }[] = [];

  constructor(
    private readonly options: MediaOptions & { platform: MediaPlatform },
    private readonly host: CallMediaHost,
  ) {}

  /** The media side of a client on `connection`, or null when `options` turn media off or give no platform. */
  static over(
    connection: SignalConnection,
    options: false | MediaOptions | undefined,
    started: (session: MediaSession) => void,
  ): CallMedia | null {
    if (!options || !options.platform) return null;
    const media = new CallMedia({ ...options, platform: options.platform }, {
      send: (message) => connection.send(message),
      iceServers: () => connection.welcome?.iceServers ?? [],
      started,
    });
    connection.on('signal', (message) => media.signal(message));
    connection.on('welcome', (welcome) => media.welcomed(welcome));
    return media;
  }

  /** The session of the live call, if any. */
  get current(): MediaSession | null {
    for (const session of this.sessions.values()) return session;
    return null;
  }

  /**
   * Follows a call event, before `calls` (the SDK's Call objects for its call id) apply it;
   * `rejoin`: a START the page heard before it reloaded (the peer's media faces the old page).
   */
  follow(event: EventMessage, calls: Call[], rejoin = false): void {
    if (event.event === VideoCallEvent.START) this.start(event, calls, rejoin);
    else if (endsCall(event)) this.stop(event.callId);
  }

  signal(message: SignalDeliveryMessage): void {
    for (const session of this.sessions.values()) {
      if (session.roomId === message.roomId) {
        session.signal(message.data);
        return;
      }
    }
    const now = Date.now();
    this.early = this.early.filter((signal) => now - signal.at < EARLY_SIGNAL_MS).slice(-(EARLY_SIGNAL_MAX - 1));
    this.early.push({ roomId: message.roomId, data: message.data, at: now });
  }

  /** After a resume, signals may have been lost: find a new path. */
  welcomed(welcome: WelcomeMessage): void {
    if (welcome.resumed) for (const session of this.sessions.values()) session.restartIce();
  }

  stopAll(): void {
    for (const callId of [...this.sessions.keys()]) this.stop(callId);
  }

  private start(event: EventMessage, calls: Call[], rejoin: boolean): void {
    if (this.sessions.has(event.callId)) return;
    const side = calls[0]?.direction === 'incoming' ? 'callee' : 'caller';
    const session = new MediaSession({
      roomId: event.param,
      side,
      flags: event.flags,
      platform: this.options.platform,
      iceServers: this.host.iceServers(),
      send: (data) => void this.host.send({ type: 'signal', roomId: event.param, data }),
      rejoin,
      constraints: {
        ...(this.options.audio ? { audio: this.options.audio } : {}),
        ...(this.options.video ? { video: this.options.video } : {}),
      },
    });
    this.sessions.set(event.callId, session);
    for (const call of calls) call.attachMedia(session);
    this.host.started(session);
    const waiting = this.early.filter((signal) => signal.roomId === event.param);
    this.early = this.early.filter((signal) => signal.roomId !== event.param);
    for (const { data } of waiting) session.signal(data);
  }

  private stop(callId: string): void {
    const session = this.sessions.get(callId);
    if (!session) return;
    this.sessions.delete(callId);
    session.close();
  }
}
