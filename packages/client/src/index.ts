export { CallClient, type CallClientOptions, type CallClientEvents, type VideoCallEventCallback } from './call-client.js';
export { Call, type CallDirection, type CallEvents, type CallOptions, type CallState } from './call.js';
export { CallgateError } from './errors.js';
export { MediaSession, type MediaState, type MediaConnectionState, type MediaKind } from './media/media-session.js';
export { browserMediaPlatform, type MediaPlatform, type MediaOptions } from './media/platform.js';
export type { PresenceFilter } from './presence-watch.js';
export type { ConnectionState, TokenSource } from './connection.js';
export type { SocketFactory, SocketLike } from './socket.js';
export { defaultReconnectPolicy, type ReconnectPolicy } from './backoff.js';
export {
  VideoCallEvent,
  ErrorCode,
  CallFlags,
  errorCodeName,
  errorMessage,
  type VideoCallEventType,
  type PresenceEntry,
  type PresenceStatus,
} from '@callgate/protocol';
