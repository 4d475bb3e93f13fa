import { CallClient as BaseCallClient, type CallClientOptions } from './call-client.js';
import type { SocketFactory, SocketLike } from './socket.js';

export * from './index.js';

const browserSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

/** The client SDK for browsers: WebSockets are the browser's own unless `createSocket` is given. */
export class CallClient extends BaseCallClient {
  constructor(options: CallClientOptions) {
    super({ ...options, createSocket: options.createSocket ?? browserSocket });
  }
}
