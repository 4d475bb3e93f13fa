/**
 * Error codes. The seed SDK's codes keep their values so that existing clients understand us;
 * Callgate's own codes live in the 2000xx range. Any other non-zero code in a REPLY, a FINISH or
 * from the business hook is an application's refusal reason and is passed on untouched.
 */
export const ErrorCode = {
  SUCCESS: 0,
  /** The user who sent REQUEST is already in a call (calling, ringing or talking). */
  INCHAT: 440,
  /** The caller gave up before the callee answered. */
  CANCEL: 100101,
  /** The callee is not connected. */
  OFFLINE: 100102,
  /** The callee is already in a call, ringing or calling. */
  BUSY: 100103,
  /** The callee refused. */
  REJECT: 100104,
  /** No answer within the ringing timeout. */
  TIMEOUT: 100105,
  /** A party's connection was lost and did not come back in time. */
  DISCONNECT: 100106,
  /** REPLY or FINISH about a call the sender is not in. */
  NOTINCALL: 100107,

  /** A message that is not JSON, or does not match its schema, or a bad argument to the SDK. */
  MALFORMED: 200001,
  /** The access token is missing, badly signed or not a Callgate token. */
  UNAUTHORIZED: 200002,
  /** The access token has expired. */
  TOKEN_EXPIRED: 200003,
  /** A message other than `auth` arrived before authentication, or authentication took too long. */
  NOT_AUTHENTICATED: 200004,
  /** A REQUEST addressed to its own sender. */
  SELF_CALL: 200005,
  /** An event a client may not send (START is the server's). */
  INVALID_EVENT: 200006,
  /** Another login of the same user replaced this connection. */
  REPLACED: 200007,
  /** The SDK is not connected, so the control was not sent. */
  NOT_CONNECTED: 200008,
  /** Too many messages; the connection is being closed. */
  RATE_LIMITED: 200009,
  /** The business server did not decide on a REQUEST in time, or failed while deciding. */
  BUSINESS_UNAVAILABLE: 200010,
  /** The server is shutting down and takes no new calls; live calls are ended with this code after the drain timeout. */
  SHUTTING_DOWN: 200011,
  /** The user's token does not allow this call. */
  FORBIDDEN: 200012,
  /** The call state store (Redis in cluster mode) cannot be reached. */
  UNAVAILABLE: 200013,
  /** The message is larger than the server accepts. */
  TOO_LARGE: 200014,
  /** An unexpected server error; the message was not applied. */
  INTERNAL: 200015,
  /** A `signal` for a room in which the sender has no started call (a third party, an unknown room, or a call that ended). */
  NOT_IN_ROOM: 200016,
  /** No queue has this id. */
  QUEUE_NOT_FOUND: 200017,
  /** The queue holds its `maxLength` customers already. */
  QUEUE_FULL: 200018,
  /** The customer already waits in a queue (leave it first). */
  ALREADY_QUEUED: 200019,
  /** The user waits in no queue (or not in that entry). */
  NOT_QUEUED: 200020,
  /** Only the customer of a served queue call may rate it. */
  RATING_NOT_ALLOWED: 200021,
  /** The call was rated already: a call is rated once. */
  ALREADY_RATED: 200022,
  /** The call ended more than 10 minutes ago: too late to rate it. */
  RATING_CLOSED: 200023,
  /** FINISH code of a queue call whose customer the agent transferred (to a queue or another agent). */
  TRANSFERRED: 200024,
  /** The transfer cannot be made: the target agent is not available, or the call is no queue call of this agent. */
  TRANSFER_REFUSED: 200025,
  /** The agent is not in wrap-up. */
  NOT_IN_WRAP_UP: 200026,
  /** The queue was deleted, or the server shut down, while the customer waited. */
  QUEUE_CLOSED: 200027,
  /** FINISH at a device of the callee whose call another of its devices answered. */
  ANSWERED_ELSEWHERE: 200028,
  /** FINISH at the device a call moved away from (`call.moveHere()` on another device of the same user). */
  MOVED: 200029,
  /** The user has as many devices connected as the server allows (`--max-devices`). */
  TOO_MANY_DEVICES: 200030,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type KnownErrorCode = (typeof ErrorCode)[ErrorCodeName];

const messages: Record<ErrorCodeName, string> = {
  SUCCESS: 'Success.',
  INCHAT: 'You are already in a call.',
  CANCEL: 'The caller cancelled the call.',
  OFFLINE: 'The user you called is not online.',
  BUSY: 'The user you called is busy in another call.',
  REJECT: 'The call was refused.',
  TIMEOUT: 'Nobody answered in time.',
  DISCONNECT: 'The connection to the other party was lost.',
  NOTINCALL: 'You are not in a call with that user.',
  MALFORMED: 'The message is malformed.',
  UNAUTHORIZED: 'The access token is invalid.',
  TOKEN_EXPIRED: 'The access token has expired.',
  NOT_AUTHENTICATED: 'Authenticate first: the first message must be "auth".',
  SELF_CALL: 'A user cannot call itself.',
  INVALID_EVENT: 'Clients may send REQUEST, REPLY and FINISH only; START comes from the server.',
  REPLACED: 'Another login of the same user replaced this connection.',
  NOT_CONNECTED: 'Not connected to the server.',
  RATE_LIMITED: 'Too many messages.',
  BUSINESS_UNAVAILABLE: 'The business server did not decide on the call in time.',
  SHUTTING_DOWN: 'The server is shutting down.',
  FORBIDDEN: 'You may not call this user.',
  UNAVAILABLE: 'The call service is temporarily unavailable.',
  TOO_LARGE: 'The message is too large.',
  INTERNAL: 'Internal server error.',
  NOT_IN_ROOM: 'You are not in a started call in that room.',
  QUEUE_NOT_FOUND: 'There is no such queue.',
  QUEUE_FULL: 'The queue is full; try again later.',
  ALREADY_QUEUED: 'You are already waiting in a queue.',
  NOT_QUEUED: 'You are not waiting in a queue.',
  RATING_NOT_ALLOWED: 'Only the customer of a served queue call may rate it.',
  ALREADY_RATED: 'This call was rated already.',
  RATING_CLOSED: 'It is too late to rate this call.',
  TRANSFERRED: 'The call was transferred.',
  TRANSFER_REFUSED: 'The transfer could not be made.',
  NOT_IN_WRAP_UP: 'You are not in wrap-up.',
  QUEUE_CLOSED: 'The queue was closed.',
  ANSWERED_ELSEWHERE: 'The call was answered on another device.',
  MOVED: 'The call moved to another device.',
  TOO_MANY_DEVICES: 'Too many devices are connected for this user.',
};

const nameByCode = new Map<number, ErrorCodeName>(
  (Object.entries(ErrorCode) as [ErrorCodeName, number][]).map(([name, code]) => [code, name]),
);

/** The stable name of a known code, or undefined for an application's own code. */
export function errorCodeName(code: number): ErrorCodeName | undefined {
  return nameByCode.get(code);
}

/** A human message for a known code, or a generic one for an application's own code. */
export function errorMessage(code: number): string {
  const name = nameByCode.get(code);
  return name ? messages[name] : `Refused with application code ${code}.`;
}
