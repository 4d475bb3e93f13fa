import { CallClient as BaseCallClient, type CallClientOptions } from './call-client.js';
import type { SocketFactory, SocketLike } from './socket.js';
import { browserMediaPlatform } from './media/platform.js';
import { browserDevicePlatform } from './browser-device.js';

export * from './index.js';

const browserSocket: SocketFactory = (url) => new WebSocket(url) as unknown as SocketLike;

/**
 * The client SDK for browsers: WebSockets are the browser's own unless `createSocket` is given,
 * and so are RTCPeerConnection and getUserMedia unless `media` says otherwise. A device is a tab
 * (its id and session are kept in sessionStorage, so a reload resumes the session and its call).
 */
export class CallClient extends BaseCallClient {
  constructor(options: CallClientOptions) {
    const media =
      options.media === false
        ? false
        : { ...options.media, platform: options.media?.platform ?? browserMediaPlatform() ?? undefined };
    super({ ...options, createSocket: options.createSocket ?? browserSocket, media, device: browserDevicePlatform() });
  }
}
