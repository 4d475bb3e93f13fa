/** Bounds on what one client may do; see docs/security.md. */
export interface ConnectionLimits {
  /** Messages per second per connection, sustained. */
  messagesPerSecond: number;
  /** Messages a connection may send at once before the rate applies. */
  messageBurst: number;
  /** Call controls per second per user, across its connections. */
  controlsPerSecond: number;
  controlBurst: number;
  /**
   * REQUESTs per minute per user that may be refused at once (offline, busy, forbidden, self…):
   * each such refusal writes a record. Past the burst, the user's REQUESTs get RATE_LIMITED
   * until the budget refills.
   */
  refusedRequestsPerMinute: number;
  refusedRequestBurst: number;
  /** Open WebSockets per client IP address; 0 for no limit. */
  maxConnectionsPerIp: number;
  /** Bytes queued for a client that does not read before it is disconnected. */
  maxBufferedBytes: number;
  /** Open connections that are not WebSockets (plain HTTP, or not upgraded yet), in all; 0 for no limit. */
  maxHttpConnections: number;
  /** The same per client address; 0 for no limit. */
  maxHttpConnectionsPerIp: number;
}

export const defaultLimits: ConnectionLimits = {
  messagesPerSecond: 50,
  messageBurst: 100,
  controlsPerSecond: 10,
  controlBurst: 20,
  refusedRequestsPerMinute: 12,
  refusedRequestBurst: 30,
  maxConnectionsPerIp: 200,
  maxBufferedBytes: 1024 * 1024,
  maxHttpConnections: 512,
  maxHttpConnectionsPerIp: 32,
};
