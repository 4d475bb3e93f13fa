export { decide, readSet } from './machine.js';
export { graceTimerKey, ringTimerKey } from './draft.js';
export type * from './types.js';
