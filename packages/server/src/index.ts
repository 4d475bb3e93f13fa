export { startServer, type ServerOptions, type RunningServer } from './server.js';
export { createAccessToken, TokenVerifier, type AccessTokenOptions, type TokenCheck } from './auth/tokens.js';
export { Switchboard, type Authorizer, type Control } from './switchboard.js';
export type { StateBackend, StateListeners } from './state/backend.js';
export { StateUnavailableError } from './state/backend.js';
export { MemoryStateBackend } from './state/memory-backend.js';
export { RedisStateBackend, type RedisBackendOptions } from './state/redis/redis-backend.js';
export * from './calls/index.js';
