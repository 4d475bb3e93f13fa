export {
  BusinessClient,
  type BusinessClientOptions,
  type BusinessClientEvents,
  type BusinessEventCallback,
  type BusinessEventDetails,
} from './business-client.js';
export type { LinkState } from './business-connection.js';
export { BusinessError } from './errors.js';
export { defaultReconnectPolicy, type ReconnectPolicy } from './backoff.js';
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
  type BusinessEvent,
  type UserState,
  type UserStateName,
  type VideoCallEventType,
} from '@callgate/protocol';
