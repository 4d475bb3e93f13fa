import * as z from 'zod/mini';

/**
 * The phase of a call, one vocabulary for the server, both SDKs, the records and the metrics:
 * - `dialing`: the REQUEST is on its way; a business server may be deciding; the callee has not been told.
 * - `ringing`: the callee has the REQUEST (its device rings); the caller got REPLY 0.
 * - `talking`: both got START with the roomId.
 * - `ended`: over, however it ended.
 */
export const callPhaseSchema = z.enum(['dialing', 'ringing', 'talking', 'ended']);
export type CallPhase = z.infer<typeof callPhaseSchema>;

/** The phases of a call that is still going on, in order. */
export const LIVE_CALL_PHASES = ['dialing', 'ringing', 'talking'] as const satisfies readonly CallPhase[];
export type LiveCallPhase = (typeof LIVE_CALL_PHASES)[number];

/**
 * A user's state, derived from its call's phase and its side of the call: `calling` (its own call
 * is dialing or ringing), `ringing` (being called), `talking`, or `idle` (no call) / `offline`.
 */
export const userStateNameSchema = z.enum(['offline', 'idle', 'calling', 'ringing', 'talking']);
export type UserStateName = z.infer<typeof userStateNameSchema>;
