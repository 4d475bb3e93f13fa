import type * as z from 'zod/mini';
import { ErrorCode } from './codes.js';
import { clientMessageSchema, serverMessageSchema, type ClientMessage, type ServerMessage } from './messages.js';

export type ParseResult<T> = { ok: true; message: T } | { ok: false; code: number; error: string };

function describe(error: z.core.$ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** Parses `text` as a JSON object and validates it against `schema`. */
export function parseWith<T>(schema: z.ZodMiniType<T>, text: string): ParseResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: ErrorCode.MALFORMED, error: 'not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, code: ErrorCode.MALFORMED, error: 'a message is a JSON object' };
  }
  const result = schema.safeParse(json);
  return result.success
    ? { ok: true, message: result.data }
    : { ok: false, code: ErrorCode.MALFORMED, error: describe(result.error) };
}

/** Parse and validate a message received by the server. */
export function parseClientMessage(text: string): ParseResult<ClientMessage> {
  return parseWith(clientMessageSchema, text);
}

/** Parse and validate a message received by a client. */
export function parseServerMessage(text: string): ParseResult<ServerMessage> {
  return parseWith(serverMessageSchema, text);
}
