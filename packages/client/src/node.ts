import WebSocket from 'ws';
import { CallClient as BaseCallClient, type CallClientOptions } from './call-client.js';
import type { SocketFactory, SocketLike } from './socket.js';

export * from './index.js';

const nodeSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

/** The client SDK for Node: WebSockets come from the `ws` package unless `createSocket` is given. */
export class CallClient extends BaseCallClient {
  constructor(options: CallClientOptions) {
    super({ ...options, createSocket: options.createSocket ?? nodeSocket });
  }
}
