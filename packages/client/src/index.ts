export { CallClient, type CallClientOptions, type CallClientEvents, type VideoCallEventCallback, type SavedSession } from './call-client.js';
export { QueueEntry, type QueueEntryEvents, type EnterQueueOptions, type EntryTransfer, type EntrySnapshot } from './queue-entry.js';
export { QueueBoard, type QueueBoardEvents } from './queue-board.js';
export type { TransferTarget, AgentStatusSetting, WrapUpOptions } from './agent-desk.js';
export type { CallRating, QueueChoice } from './contact-centre.js';
export { Call, type CallDirection, type CallEvents, type CallOptions, type CallState, type CallWaking } from './call.js';
export type { CallElsewhere } from './call-elsewhere.js';
export { CallgateError } from './errors.js';
export { MediaSession, type MediaState, type MediaConnectionState, type MediaKind } from './media/media-session.js';
export { browserMediaPlatform, type MediaPlatform, type MediaOptions } from './media/platform.js';
export type { PresenceFilter } from './presence-watch.js';
export type { ConnectionState, TokenSource } from './connection.js';
export type { SocketFactory, SocketLike } from './socket.js';
export { defaultReconnectPolicy, type ReconnectPolicy } from '@callgate/protocol';
export {
  VideoCallEvent,
  ErrorCode,
  CallFlags,
  errorCodeName,
  errorMessage,
  type VideoCallEventType,
  type PresenceEntry,
  type PresenceStatus,
  type AgentState,
  type AgentStatusName,
  type AgentFigures,
  type QueueFigures,
  type EntryState,
  type EntryOutcome,
  type EntryView,
} from '@callgate/protocol';
