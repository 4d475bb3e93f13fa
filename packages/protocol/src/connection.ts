/**
 * `@callgate/protocol/connection`: the connection lifecycle both SDKs share (timers, reconnects;
 * the sockets are theirs). Kept out of the main entry, which is wire format only and does no I/O.
 */
export * from './reconnecting-connection.js';
