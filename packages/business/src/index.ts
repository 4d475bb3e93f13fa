export {
  BusinessClient,
  type BusinessClientOptions,
  type BusinessClientEvents,
  type BusinessEventCallback,
  type BusinessEventDetails,
  type QueueEntryRequest,
  type QueueEntryDecision,
  type QueueEntryCallback,
  type QueueEvent,
  type QueueEventCallback,
  type PushRequest,
  type PushCallback,
} from './business-client.js';
export type { LinkState } from './business-connection.js';
export { BusinessError } from './errors.js';
export { defaultReconnectPolicy, type ReconnectPolicy } from '@callgate/protocol';
export {
  createAccessToken,
  verifyWebhook,
  WebhookHeader,
  WEBHOOK_TOLERANCE_SECONDS,
  type AccessTokenOptions,
  type VerifyWebhookOptions,
  type WebhookHeaders,
} from '@callgate/protocol/signing';
export {
  VideoCallEvent,
  ErrorCode,
  CallFlags,
  errorCodeName,
  errorMessage,
  businessEventSchema,
  businessQueueEventSchema,
  businessQueueEntrySchema,
  businessPushSchema,
  type BusinessPush,
  type BusinessEvent,
  type BusinessQueueEvent,
  type BusinessQueueEntry,
  type QueueEventStep,
  type UserState,
  type UserStateName,
  type VideoCallEventType,
} from '@callgate/protocol';
