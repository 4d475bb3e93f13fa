export * from './events.js';
export * from './flags.js';
export * from './codes.js';
export * from './limits.js';
export * from './messages.js';
export * from './parse.js';
export * from './close-codes.js';
export * from './claims.js';
