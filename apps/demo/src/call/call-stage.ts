import type { Call, MediaState } from '@callgate/client';
import { h, initials } from '../dom.js';
import { clock } from '../format.js';
import { describeQuality, watchQuality } from './call-quality.js';
import { peerStateOf, type DeviceState } from './peer-state.js';

const connectionWords: Record<MediaState['connection'], string> = {
  opening: 'Starting camera and microphone…',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Call ended',
};

export interface CallStageOptions {
  /** The other party's name, shown on their tile. */
  peerName: string;
  /** Buttons placed before "Hang up" (the agent's Transfer). */
  extraControls?: HTMLElement[];
  onHangup: () => void;
}

export interface CallStage {
  element: HTMLElement;
  dispose(): void;
}

/**
 * A started call: the other party's tile (video letterboxed, or their initials when they send no
 * video or turned the camera off; "muted" and "camera off" badges; connection quality;
 * "Reconnecting…" over the frozen picture), your own picture, a timer, Mute, Camera off and Hang up.
 */
export function callStage(call: Call, options: CallStageOptions): CallStage {
  const name = options.peerName;
  const remote = h('video', { class: 'remote', autoplay: true, playsinline: true, 'data-testid': 'remote-video', 'aria-label': `${name}'s video` });
  const local = h('video', { class: 'local', autoplay: true, playsinline: true, muted: true, 'data-testid': 'local-video', 'aria-label': 'Your picture' });
  local.muted = true;
  const avatar = h('div', { class: 'avatar', 'aria-hidden': 'true' }, initials(name));
  const mutedBadge = h('span', { class: 'badge-dark', role: 'status', hidden: true }, `${name} is muted`);
  const cameraBadge = h('span', { class: 'badge-dark', role: 'status', hidden: true }, 'Camera off');
  const reconnecting = h('div', { class: 'reconnecting', role: 'alert', hidden: true }, 'Reconnecting…');
  const quality = h('span', { class: 'quality unknown', 'data-testid': 'call-quality', 'aria-label': 'Connection quality' }, 'Checking connection…');
  const timer = h('span', { class: 'timer', 'data-testid': 'timer', 'aria-label': 'Call length' }, '0:00');
  const status = h('span', { class: 'media-status', 'data-testid': 'media-status', role: 'status' }, 'Connecting…');
  const note = h('p', { class: 'note', 'data-testid': 'media-note' });
  const muteAudio = h('button', { class: 'control', 'data-testid': 'mute-audio', 'aria-pressed': 'false', type: 'button' }, 'Mute');
  const muteVideo = h('button', { class: 'control', 'data-testid': 'mute-video', 'aria-pressed': 'false', type: 'button' }, 'Camera off');
  const hangup = h('button', { class: 'control danger', 'data-testid': 'hangup', type: 'button' }, 'Hang up');
  const tile = h(
    'div',
    { class: 'tile', role: 'group', 'aria-label': `${name}`, 'data-testid': 'remote-tile' },
    remote,
    avatar,
    h('div', { class: 'tile-top' }, h('span', { class: 'tile-name' }, name), quality),
    h('div', { class: 'tile-badges' }, mutedBadge, cameraBadge),
    reconnecting,
    local,
  );

  let media: MediaState | null = call.media?.state ?? null;
  let peer: DeviceState | null = null;
  const render = (): void => {
    const state = media;
    if (!state) return;
    if (remote.srcObject !== state.remoteStream) remote.srcObject = state.remoteStream;
    if (local.srcObject !== state.localStream) local.srcObject = state.localStream;
    status.textContent = connectionWords[state.connection];
    muteAudio.hidden = !state.sending.audio;
    muteVideo.hidden = !state.sending.video;
    local.hidden = !state.sending.video || state.muted.video;
    muteAudio.textContent = state.muted.audio ? 'Unmute' : 'Mute';
    muteAudio.setAttribute('aria-pressed', String(state.muted.audio));
    muteVideo.textContent = state.muted.video ? 'Camera on' : 'Camera off';
    muteVideo.setAttribute('aria-pressed', String(state.muted.video));
    const remoteVideo = (state.remoteStream?.getVideoTracks().length ?? 0) > 0;
    const cameraOff = peer?.video === true;
    tile.classList.toggle('no-video', !remoteVideo || cameraOff);
    mutedBadge.hidden = peer?.audio !== true;
    cameraBadge.hidden = !cameraOff || !remoteVideo;
    cameraBadge.textContent = `${name} turned the camera off`;
    const dropped = state.connection === 'reconnecting';
    reconnecting.hidden = !dropped;
    tile.classList.toggle('frozen', dropped);
    if (dropped && !remote.paused) remote.pause();
    if (!dropped && remote.paused && remote.srcObject) void remote.play().catch(() => {});
    note.textContent = state.error ?? (remoteVideo || state.connection !== 'connected' ? '' : `Voice call with ${name}.`);
  };
  const channel = peerStateOf(call.media);
  channel?.onRemote((muted) => {
    peer = muted;
    render();
  });
  const onMedia = (state: MediaState): void => {
    media = state;
    channel?.send(state.muted);
    render();
  };
  muteAudio.addEventListener('click', () => call.setMuted('audio', !(call.media?.state.muted.audio ?? false)));
  muteVideo.addEventListener('click', () => call.setMuted('video', !(call.media?.state.muted.video ?? false)));
  hangup.addEventListener('click', () => {
    hangup.disabled = true;
    options.onHangup();
  });
  call.on('media-state', onMedia);
  if (call.media) onMedia(call.media.state);
  else note.textContent = 'Media is off in this client.';

  const stopQuality = call.media
    ? watchQuality(call.media.peerConnection, (q) => {
        quality.textContent = describeQuality(q);
        quality.className = `quality ${q.level}`;
      })
    : () => {};
  const startedAt = Date.now();
  const interval = setInterval(() => (timer.textContent = clock(Date.now() - startedAt)), 1000);

  const element = h(
    'section',
    { class: 'call', 'data-testid': 'call', 'aria-label': `Call with ${name}` },
    h('div', { class: 'call-head' }, h('strong', {}, name), status, timer),
    tile,
    note,
    h('div', { class: 'controls' }, muteAudio, muteVideo, ...(options.extraControls ?? []), hangup),
  );
  return {
    element,
    dispose: () => {
      clearInterval(interval);
      stopQuality();
      call.off('media-state', onMedia);
      remote.srcObject = null;
      local.srcObject = null;
    },
  };
}
