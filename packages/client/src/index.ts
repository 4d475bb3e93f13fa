export { CallClient, type CallClientOptions, type CallClientEvents, type VideoCallEventCallback } from './call-client.js';
export { Call, type CallDirection, type CallEvents, type CallOptions, type CallState } from './call.js';
export { CallgateError } from './errors.js';
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
} from '@callgate/protocol';
