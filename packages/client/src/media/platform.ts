/**
 * The WebRTC and device functions the SDK's media uses. Browsers have them; in Node, pass an
 * implementation (e.g. one built on a WebRTC package) or turn media off.
 */
export interface MediaPlatform {
  createPeerConnection(configuration: RTCConfiguration): RTCPeerConnection;
  /** Opens camera and/or microphone. */
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  /** A stream holding `tracks` (the remote party's, as they arrive). */
  createMediaStream(tracks: MediaStreamTrack[]): MediaStream;
}

export interface MediaOptions {
  /** Where RTCPeerConnection and getUserMedia come from; the browser's by default. */
  platform?: MediaPlatform;
  /** Constraints for the camera and the microphone, used when the call's flags let this side send them. */
  video?: MediaTrackConstraints;
  audio?: MediaTrackConstraints;
}

/** The browser's WebRTC, or null where there is none (Node, old browsers, insecure pages). */
export function browserMediaPlatform(): MediaPlatform | null {
  const scope = globalThis as {
    RTCPeerConnection?: typeof RTCPeerConnection;
    MediaStream?: typeof MediaStream;
    navigator?: { mediaDevices?: MediaDevices };
  };
  const PeerConnection = scope.RTCPeerConnection;
  const Stream = scope.MediaStream;
  const devices = scope.navigator?.mediaDevices;
  if (!PeerConnection || !Stream || !devices) return null;
  return {
    createPeerConnection: (configuration) => new PeerConnection(configuration),
    getUserMedia: (constraints) => devices.getUserMedia(constraints),
    createMediaStream: (tracks) => new Stream(tracks),
  };
}
