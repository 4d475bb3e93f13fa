/** The part of the WHATWG WebSocket API the SDK uses; browsers' WebSocket and `ws` both have it. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

/** Opens a socket to `url`. */
export type SocketFactory = (url: string) => SocketLike;

export const SOCKET_OPEN = 1;

/** `ws/` path of the server's user endpoint, appended to the base URL both SDKs take. */
export function clientEndpoint(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, '');
  return trimmed.endsWith('/ws') ? trimmed : `${trimmed}/ws`;
}
