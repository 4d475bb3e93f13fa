import type { RawData, WebSocket } from 'ws';
import { ErrorCode, errorCodeName, errorMessage, type ErrorMessage, type ParseResult } from '@callgate/protocol';

/**
 * How long a socket refused before it authenticated may take to answer the close frame before it
 * is cut off (ws alone would wait 30 s for the answer, with the socket and its descriptor held).
 */
export const REFUSAL_LINGER_MS = 1000;

/**
 * What every WebSocket the server accepts (a user's, a business server's) does alike: a deadline
 * for its first message, liveness for the heartbeat (any frame or pong counts), and closing.
 */
export class ServedSocket {
  private alive = true;
  private readonly authTimer: NodeJS.Timeout;

  constructor(
    readonly socket: WebSocket,
    authTimeoutMs: number,
    onAuthTimeout: () => void,
  ) {
    this.authTimer = setTimeout(onAuthTimeout, authTimeoutMs);
    const heard = (): void => {
      this.alive = true;
    };
    socket.on('pong', heard);
    socket.on('message', heard);
  }

  /** Stops the authentication deadline (authenticated, refused, or closed). */
  settled(): void {
    clearTimeout(this.authTimer);
  }

  /** Called on every heartbeat tick: terminates a socket that did not answer the previous ping. */
  heartbeat(): void {
    if (!this.alive) {
      this.socket.terminate();
      return;
    }
    this.alive = false;
    this.socket.ping();
  }

  /**
   * Closes a socket that did not (or could not) authenticate: the close frame, so that a client
   * that answers it reads `code`, then terminate() if it has not answered within REFUSAL_LINGER_MS.
   */
  refuse(code: number, reason: string): void {
    this.settled();
    this.close(code, reason);
    const cutOff = setTimeout(() => this.socket.terminate(), REFUSAL_LINGER_MS);
    cutOff.unref();
    this.socket.once('close', () => clearTimeout(cutOff));
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }
}

/** A frame the peer sent, parsed with `parse`: JSON text only. */
export function readFrame<T>(data: RawData, isBinary: boolean, parse: (text: string) => ParseResult<T>): ParseResult<T> {
  if (isBinary) return { ok: false, code: ErrorCode.MALFORMED, error: 'binary frames are not accepted; send JSON text' };
  return parse(data.toString());
}

/** The `error` message for `code`, with its name and, unless given, its standard text. */
export function errorFrame(code: number, message?: string, ref?: string): ErrorMessage {
  return {
    type: 'error',
    code,
    name: errorCodeName(code) ?? 'APPLICATION',
    message: message ?? errorMessage(code),
    ...(ref !== undefined ? { ref } : {}),
  };
}
