import { readSet } from './machine.js';
import type { CallInput, CallRecord, Snapshot, UserRecord } from './types.js';

/**
 * The snapshot a decision about `input` reads, from stores that answer at once: the users and
 * calls the input names, the calls those users are in, and the parties of those calls.
 */
export function snapshotFor(
  input: CallInput,
  userById: (userId: string) => UserRecord | undefined,
  callById: (callId: string) => CallRecord | undefined,
): Snapshot {
  const wanted = readSet(input);
  const users = new Map<string, UserRecord>();
  const calls = new Map<string, CallRecord>();
  const addUser = (userId: string): void => {
    const user = userById(userId);
    if (user) users.set(userId, user);
  };
  const addCall = (callId: string | null): void => {
    const call = callId === null ? undefined : callById(callId);
    if (call) calls.set(call.callId, call);
  };
  wanted.users.forEach(addUser);
  wanted.calls.forEach(addCall);
  for (const user of [...users.values()]) addCall(user.callId);
  for (const call of [...calls.values()]) [call.caller, call.callee].forEach(addUser);
  return { users, calls };
}
