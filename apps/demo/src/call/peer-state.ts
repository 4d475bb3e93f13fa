import type { CallClient, MediaKind, MediaSession } from '@callgate/client';

/** What one side tells the other about its own devices: muted microphone, camera off. */
export type DeviceState = Record<MediaKind, boolean>;

export interface PeerStateChannel {
  /** Tells the other side this side's muted state (sent again when the channel opens). */
  send(muted: DeviceState): void;
  /** The other side's muted state, as it last said (null until it said anything). */
  readonly remote: DeviceState | null;
  onRemote(listener: (muted: DeviceState) => void): void;
}

const channels = new WeakMap<MediaSession, PeerStateChannel>();

/**
 * Every call's media gets a small WebRTC data channel, negotiated on both sides with the same id
 * (no extra signaling), on which the two pages tell each other "muted" and "camera off": a muted
 * track only sends silence or black frames, which the other side cannot tell from a quiet room.
 * It is created as the SDK emits `media`, before the caller's first offer, so the offer carries it.
 */
export function followPeerState(client: CallClient): void {
  client.on('media', (session) => channels.set(session, open(session)));
}

/** The channel of a call's media (null for media that started before followPeerState). */
export function peerStateOf(session: MediaSession | null): PeerStateChannel | null {
  return session ? (channels.get(session) ?? null) : null;
}

function open(session: MediaSession): PeerStateChannel {
  const channel = session.peerConnection.createDataChannel('callgate-device-state', { negotiated: true, id: 7 });
  let mine: DeviceState | null = null;
  let remote: DeviceState | null = null;
  const listeners: ((muted: DeviceState) => void)[] = [];
  const flush = (): void => {
    if (mine && channel.readyState === 'open') channel.send(JSON.stringify(mine));
  };
  channel.onopen = flush;
  channel.onmessage = (event: MessageEvent) => {
    try {
      const data = JSON.parse(String(event.data)) as Partial<DeviceState>;
      remote = { audio: data.audio === true, video: data.video === true };
      for (const listener of listeners) listener(remote);
    } catch {
      // Not ours.
    }
  };
  return {
    send(muted) {
      mine = { ...muted };
      flush();
    },
    get remote() {
      return remote;
    },
    onRemote(listener) {
      listeners.push(listener);
    },
  };
}
