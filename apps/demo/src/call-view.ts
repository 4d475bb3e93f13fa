import type { Call, MediaState } from '@callgate/client';
import { h } from './dom.js';

const connectionWords: Record<MediaState['connection'], string> = {
  opening: 'Starting camera and microphone…',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  closed: 'Call ended',
};

/** The screen of a started call: the other party's video, your own, a timer, mute and hang-up. */
export function callView(call: Call, peerName: string, onHangup: () => void): { element: HTMLElement; dispose: () => void } {
  const remote = h('video', { class: 'remote', autoplay: true, playsinline: true, 'data-testid': 'remote-video' });
  const local = h('video', { class: 'local', autoplay: true, playsinline: true, muted: true, 'data-testid': 'local-video' });
  local.muted = true;
  const timer = h('span', { class: 'timer', 'data-testid': 'timer' }, '00:00');
  const status = h('span', { class: 'media-status', 'data-testid': 'media-status' }, 'Connecting…');
  const note = h('p', { class: 'note', 'data-testid': 'media-note' });
  const muteAudio = h('button', { class: 'control', 'data-testid': 'mute-audio', 'aria-pressed': 'false' }, 'Mute');
  const muteVideo = h('button', { class: 'control', 'data-testid': 'mute-video', 'aria-pressed': 'false' }, 'Camera off');
  const hangup = h('button', { class: 'control danger', 'data-testid': 'hangup' }, 'Hang up');

  const render = (state: MediaState): void => {
    if (remote.srcObject !== state.remoteStream) remote.srcObject = state.remoteStream;
    if (local.srcObject !== state.localStream) local.srcObject = state.localStream;
    status.textContent = connectionWords[state.connection];
    muteAudio.hidden = !state.sending.audio;
    muteVideo.hidden = !state.sending.video;
    local.hidden = !state.sending.video;
    muteAudio.textContent = state.muted.audio ? 'Unmute' : 'Mute';
    muteAudio.setAttribute('aria-pressed', String(state.muted.audio));
    muteVideo.textContent = state.muted.video ? 'Camera on' : 'Camera off';
    muteVideo.setAttribute('aria-pressed', String(state.muted.video));
    const remoteVideo = (state.remoteStream?.getVideoTracks().length ?? 0) > 0;
    remote.classList.toggle('audio-only', !remoteVideo);
    note.textContent = state.error ?? (remoteVideo || state.connection !== 'connected' ? '' : `Voice call: ${peerName} sends no video.`);
  };

  muteAudio.addEventListener('click', () => call.setMuted('audio', !(call.media?.state.muted.audio ?? false)));
  muteVideo.addEventListener('click', () => call.setMuted('video', !(call.media?.state.muted.video ?? false)));
  hangup.addEventListener('click', () => {
    hangup.disabled = true;
    onHangup();
  });
  call.on('media-state', render);
  if (call.media) render(call.media.state);
  else note.textContent = 'Media is off in this client.';

  const startedAt = Date.now();
  const tick = (): void => {
    const seconds = Math.floor((Date.now() - startedAt) / 1000);
    timer.textContent = `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
  };
  const interval = setInterval(tick, 1000);

  const element = h(
    'section',
    { class: 'call', 'data-testid': 'call' },
    h('div', { class: 'call-head' }, h('strong', {}, peerName), status, timer),
    h('div', { class: 'stage' }, remote, local),
    note,
    h('div', { class: 'controls' }, muteAudio, muteVideo, hangup),
  );
  return {
    element,
    dispose: () => {
      clearInterval(interval);
      call.off('media-state', render);
      remote.srcObject = null;
      local.srcObject = null;
    },
  };
}
