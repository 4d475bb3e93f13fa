import { EventEmitter } from 'eventemitter3';
import { mediaAllowed, type IceCandidateData, type IceServer, type SignalData } from '@callgate/protocol';
import type { MediaOptions, MediaPlatform } from './platform.js';

export type MediaKind = 'audio' | 'video';

/**
 * opening: asking for camera/microphone and setting up. connecting: negotiating with the peer.
 * connected: media flows. reconnecting: the path was lost and ICE is restarting. closed: the call ended.
 */
export type MediaConnectionState = 'opening' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Everything a page needs to show a call's media, as one snapshot. */
export interface MediaState {
  connection: MediaConnectionState;
  /** This side's camera and microphone (only the kinds the call lets it send). */
  localStream: MediaStream | null;
  /** The other party's audio and video, as they arrive. */
  remoteStream: MediaStream | null;
  /** What this side sends: allowed by the call's flags and opened. */
  sending: Record<MediaKind, boolean>;
  muted: Record<MediaKind, boolean>;
  /** Why a device could not be opened, or why negotiation failed; the call goes on without it. */
  error: string | null;
}

export interface MediaSessionEvents {
  'media-state': (state: MediaState) => void;
}

export interface MediaSessionOptions {
  roomId: number;
  /** Who this side is in the call: the caller offers. */
  side: 'caller' | 'callee';
  flags: number;
  platform: MediaPlatform;
  iceServers: IceServer[];
  /** Sends a signal to the peer through the server. */
  send(data: SignalData): void;
  constraints?: Pick<MediaOptions, 'audio' | 'video'>;
  /**
   * The call started before this session (its page reloaded, or the call moved here): the peer's
   * media still faces the old one, so the callee asks the caller for a fresh offer.
   */
  rejoin?: boolean;
}

const kinds: MediaKind[] = ['audio', 'video'];

/**
 * The media of one started call: opens the devices the call's flags allow, connects one
 * RTCPeerConnection to the peer (the caller offers, the callee answers), restarts ICE when the
 * path fails, and releases everything at close().
 */
export class MediaSession extends EventEmitter<MediaSessionEvents> {
  readonly roomId: number;
  readonly side: 'caller' | 'callee';
  private readonly pc: RTCPeerConnection;
  private readonly remote: MediaStream;
  private local: MediaStream | null = null;
  private connection: MediaConnectionState = 'opening';
  private readonly muted: Record<MediaKind, boolean> = { audio: false, video: false };
  private error: string | null = null;
  /** Work on the peer connection, one step at a time, in arrival order. */
  private work: Promise<void>;
  private candidates: IceCandidateData[] = [];
  private restartWanted = false;
  private closed = false;

  constructor(private readonly options: MediaSessionOptions) {
    super();
    this.roomId = options.roomId;
    this.side = options.side;
    this.remote = options.platform.createMediaStream([]);
    this.pc = options.platform.createPeerConnection({ iceServers: options.iceServers.map(toRtcIceServer) });
    this.pc.onicecandidate = (event) => {
      if (!this.closed) this.options.send({ kind: 'candidate', candidate: event.candidate ? candidateData(event.candidate) : null });
    };
    this.pc.ontrack = (event) => {
      if (!this.remote.getTracks().includes(event.track)) this.remote.addTrack(event.track);
      event.track.onunmute = () => this.changed();
      this.changed();
    };
    this.pc.onconnectionstatechange = () => this.pathChanged();
    this.work = this.open();
  }

  get state(): MediaState {
    return {
      connection: this.connection,
      localStream: this.local,
      remoteStream: this.remote,
      sending: { audio: this.tracks('audio').length > 0, video: this.tracks('video').length > 0 },
      muted: { ...this.muted },
      error: this.error,
    };
  }

  get localStream(): MediaStream | null {
    return this.local;
  }

  get remoteStream(): MediaStream {
    return this.remote;
  }

  /** The peer connection, for statistics (`getStats`) and the like. */
  get peerConnection(): RTCPeerConnection {
    return this.pc;
  }

  /** Mutes or unmutes this side's microphone or camera (a muted camera sends black frames). */
  setMuted(kind: MediaKind, muted: boolean): void {
    this.muted[kind] = muted;
    for (const track of this.tracks(kind)) track.enabled = !muted;
    this.changed();
  }

  /** A signal from the peer. */
  signal(data: SignalData): void {
    this.enqueue(async () => {
      switch (data.kind) {
        case 'offer':
          if (this.side === 'callee') await this.answer(data.sdp);
          return;
        case 'answer':
          if (this.side === 'caller' && this.pc.signalingState === 'have-local-offer') {
            await this.pc.setRemoteDescription({ type: 'answer', sdp: data.sdp });
            await this.addPendingCandidates();
            if (this.restartWanted) await this.offer(true);
          }
          return;
        case 'candidate':
          if (data.candidate === null) return;
          if (this.pc.remoteDescription) await this.pc.addIceCandidate(data.candidate).catch(() => {});
          else this.candidates.push(data.candidate);
          return;
        case 'restart':
        case 'moved':
          // The peer asks for a new path, or (from the server) the call moved to another of the
          // peer's devices, whose new connection waits for an offer: the caller offers anew.
          if (this.side === 'caller') await this.offer(true);
          return;
      }
    });
  }

  /** Finds a new network path (after a drop, or when the path failed): the caller offers anew, the callee asks it to. */
  restartIce(): void {
    if (this.closed) return;
    this.enqueue(async () => {
      if (this.side === 'caller') await this.offer(true);
      else this.options.send({ kind: 'restart' });
    });
  }

  /** Ends the media: closes the peer connection and stops every track. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pc.onicecandidate = null;
    this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
    for (const track of this.local?.getTracks() ?? []) track.stop();
    for (const track of this.remote.getTracks()) track.stop();
    this.setConnection('closed');
  }

  private async open(): Promise<void> {
    const allowed = mediaAllowed(this.options.flags, this.side);
    const peerAllowed = mediaAllowed(this.options.flags, this.side === 'caller' ? 'callee' : 'caller');
    this.local = await this.openDevices(allowed);
    if (this.closed) {
      for (const track of this.local?.getTracks() ?? []) track.stop();
      return;
    }
    this.setConnection('connecting');
    if (this.side !== 'caller') {
      if (this.options.rejoin) this.options.send({ kind: 'restart' });
      return;
    }
    // The caller lays out the media lines: one per kind either side may send.
    for (const kind of kinds) {
      const track = this.tracks(kind)[0];
      if (!track && !peerAllowed[kind]) continue;
      const direction: RTCRtpTransceiverDirection = track ? (peerAllowed[kind] ? 'sendrecv' : 'sendonly') : 'recvonly';
      this.pc.addTransceiver(track ?? kind, { direction, ...(this.local && track ? { streams: [this.local] } : {}) });
    }
    await this.offer(false);
  }

  private async openDevices(allowed: Record<MediaKind, boolean>): Promise<MediaStream | null> {
    const constraints = this.options.constraints ?? {};
    const ask = (kind: MediaKind): boolean | MediaTrackConstraints => (allowed[kind] ? (constraints[kind] ?? true) : false);
    if (!allowed.audio && !allowed.video) return null;
    try {
      return await this.options.platform.getUserMedia({ audio: ask('audio'), video: ask('video') });
    } catch (error) {
      this.error = `could not open ${allowed.video ? 'camera and microphone' : 'microphone'}: ${describe(error)}`;
    }
    if (allowed.audio && allowed.video) {
      // No camera (or it is refused): go on with the microphone alone.
      try {
        return await this.options.platform.getUserMedia({ audio: ask('audio'), video: false });
      } catch {
        // Neither: receive only; `error` says why.
      }
    }
    return null;
  }

  private async offer(iceRestart: boolean): Promise<void> {
    if (this.closed) return;
    if (this.pc.signalingState !== 'stable') {
      this.restartWanted = this.restartWanted || iceRestart;
      return;
    }
    this.restartWanted = false;
    const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : {});
    await this.pc.setLocalDescription(offer);
    if (offer.sdp) this.options.send({ kind: 'offer', sdp: offer.sdp });
  }

  private async answer(sdp: string): Promise<void> {
    const first = this.pc.remoteDescription === null;
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    if (first) {
      for (const transceiver of this.pc.getTransceivers()) {
        const kind = transceiver.receiver.track.kind as MediaKind;
        const track = this.tracks(kind)[0];
        if (!track) {
          transceiver.direction = 'recvonly';
          continue;
        }
        await transceiver.sender.replaceTrack(track);
        if (this.local) transceiver.sender.setStreams?.(this.local);
        transceiver.direction = 'sendrecv';
      }
    }
    await this.addPendingCandidates();
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    if (answer.sdp) this.options.send({ kind: 'answer', sdp: answer.sdp });
  }

  private async addPendingCandidates(): Promise<void> {
    const pending = this.candidates;
    this.candidates = [];
    for (const candidate of pending) await this.pc.addIceCandidate(candidate).catch(() => {});
  }

  private pathChanged(): void {
    switch (this.pc.connectionState) {
      case 'connected':
        this.setConnection('connected');
        return;
      case 'disconnected':
        this.setConnection('reconnecting');
        return;
      case 'failed':
        this.restartIce();
        this.setConnection('reconnecting');
        return;
      default:
        return;
    }
  }

  private enqueue(step: () => Promise<void>): void {
    this.work = this.work
      .then(() => (this.closed ? undefined : step()))
      .catch((error: unknown) => {
        if (this.closed) return;
        this.error = `media negotiation failed: ${describe(error)}`;
        this.changed();
      });
  }

  private tracks(kind: MediaKind): MediaStreamTrack[] {
    if (!this.local) return [];
    return kind === 'audio' ? this.local.getAudioTracks() : this.local.getVideoTracks();
  }

  private setConnection(state: MediaConnectionState): void {
    if (this.connection === state || this.connection === 'closed') return;
    this.connection = state;
    this.changed();
  }

  private changed(): void {
    const state = this.state;
    try {
      this.emit('media-state', state);
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

function toRtcIceServer(server: IceServer): RTCIceServer {
  return {
    urls: server.urls,
    ...(server.username !== undefined ? { username: server.username } : {}),
    ...(server.credential !== undefined ? { credential: server.credential } : {}),
  };
}

function candidateData(candidate: RTCIceCandidate): IceCandidateData {
  const json = candidate.toJSON();
  return {
    candidate: json.candidate ?? '',
    ...(json.sdpMid != null ? { sdpMid: json.sdpMid } : {}),
    ...(json.sdpMLineIndex != null ? { sdpMLineIndex: json.sdpMLineIndex } : {}),
    ...(json.usernameFragment != null ? { usernameFragment: json.usernameFragment } : {}),
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
