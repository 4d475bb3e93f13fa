export { startServer, type ServerOptions, type RunningServer } from './server.js';
export type { CloseOptions } from './server.js';
export { MISSED_OUTCOMES, type CallRecordView } from './records/record-view.js';
export { createAccessToken, TokenVerifier, type AccessTokenOptions, type TokenCheck } from './auth/tokens.js';
export { Switchboard, type Authorizer, type Control } from './switchboard.js';
export type { StateBackend, StateListeners } from './state/backend.js';
export { StateUnavailableError } from './state/backend.js';
export { MemoryStateBackend } from './state/memory-backend.js';
export * from './calls/index.js';
