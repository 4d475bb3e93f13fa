import type { ClientMessage, ParseResult, ServerMessage } from '@callgate/protocol';

/** Told about every message a user's socket carries; the server's metrics listen here. */
export interface ConnectionObserver {
  /** A message arrived from `userId` ("" before authentication), valid or not. */
  received(parsed: ParseResult<ClientMessage>, userId: string): void;
  /** A message was written to `userId`'s socket. */
  sent(message: ServerMessage, userId: string): void;
}
