import WebSocket from 'ws';
import { CallClient as BaseCallClient, type CallClientOptions } from './call-client.js';
import { randomDeviceId, type DevicePlatform } from './device-memory.js';
import type { SocketFactory, SocketLike } from './socket.js';

export * from './index.js';

const nodeSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

let processDevice: string | null = null;

/** Node: a device is a process (one random id for the process's life); nothing survives a restart. */
const nodeDevice: DevicePlatform = { storage: null, defaultDeviceId: () => (processDevice ??= randomDeviceId()) };

/** The client SDK for Node: WebSockets come from the `ws` package unless `createSocket` is given. */
export class CallClient extends BaseCallClient {
  constructor(options: CallClientOptions) {
    super({ ...options, createSocket: options.createSocket ?? nodeSocket, device: nodeDevice });
  }
}
