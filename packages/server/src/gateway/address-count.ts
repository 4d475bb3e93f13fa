import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Open sockets per client address, and in all, against caps (0: no cap). A counted socket stops
 * counting when it closes or is released, whichever comes first.
 */
export class AddressCount {
  private readonly byAddress = new Map<string, number>();
  private readonly counted = new Map<Duplex, string>();

  constructor(
    private readonly maxPerAddress: number,
    private readonly maxTotal = 0,
  ) {}

  /** Counts `socket` under `address`; false, and not counted, when a cap is reached. */
  admit(socket: Duplex, address: string): boolean {
    if (this.counted.has(socket) || socket.destroyed) return true;
    const open = this.byAddress.get(address) ?? 0;
    if (this.maxPerAddress > 0 && open >= this.maxPerAddress) return false;
    if (this.maxTotal > 0 && this.counted.size >= this.maxTotal) return false;
    this.byAddress.set(address, open + 1);
    this.counted.set(socket, address);
    socket.once('close', () => this.release(socket));
    return true;
  }

  /**
   * Makes room for one more socket from `address` when only the total cap stands in its way, by
   * destroying the socket counted longest ago. False (nothing destroyed) when `address` is at its own cap.
   */
  makeRoomFor(address: string): boolean {
    if (this.maxPerAddress > 0 && (this.byAddress.get(address) ?? 0) >= this.maxPerAddress) return false;
    if (this.maxTotal === 0 || this.counted.size < this.maxTotal) return true;
    const oldest = this.counted.keys().next().value;
    if (oldest) {
      this.release(oldest);
      oldest.destroy();
    }
    return true;
  }

  /** Stops counting `socket` (it became something else, e.g. a WebSocket); idempotent. */
  release(socket: Duplex): void {
    const address = this.counted.get(socket);
    if (address === undefined) return;
    this.counted.delete(socket);
    const left = (this.byAddress.get(address) ?? 1) - 1;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }
}

/** The client address of a request: the TCP peer (behind a proxy, the proxy). */
export const clientAddress = (request: IncomingMessage): string => request.socket.remoteAddress ?? 'unknown';

/** Answers an upgrade request with an HTTP error and closes the socket. */
export function refuseUpgrade(socket: Duplex, status: number, statusText: string, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${reason}\n`);
}

/**
 * What every WebSocket endpoint does first with an upgrade request: counts the socket under its
 * client address for as long as it is open, or refuses it with 429 over the per-address cap.
 */
export function admitUpgrade(count: AddressCount, request: IncomingMessage, socket: Duplex): boolean {
  if (count.admit(socket, clientAddress(request))) return true;
  refuseUpgrade(socket, 429, 'Too Many Requests', 'too many connections from this address');
  return false;
}
