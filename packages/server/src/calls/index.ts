export { decide, readSet } from './machine.js';
export { snapshotFor } from './snapshot.js';
export { graceTimerKey, requestStepOf, ringTimerKey } from './draft.js';
export type * from './types.js';
