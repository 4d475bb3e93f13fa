import * as z from 'zod/mini';
import { Limits } from './limits.js';

/** Bounds of WebRTC signaling payloads relayed between the two parties of a started call. */
export const SignalLimits = {
  /** Longest SDP of an offer or answer, in characters. */
  SDP_MAX: 32_768,
  /** Longest ICE candidate line, in characters. */
  CANDIDATE_MAX: 1024,
  /** Longest media id (`sdpMid`) or ICE username fragment, in characters. */
  TAG_MAX: 256,
} as const;

const roomIdSchema = z.number().check(z.int(), z.minimum(1), z.maximum(Limits.UINT32_MAX));
const sdpSchema = z.string().check(z.minLength(1), z.maxLength(SignalLimits.SDP_MAX));

/** One ICE candidate as `RTCIceCandidate.toJSON()` gives it; `null` ends the candidates. */
export const iceCandidateSchema = z.object({
  candidate: z.string().check(z.maxLength(SignalLimits.CANDIDATE_MAX)),
  sdpMid: z.optional(z.nullable(z.string().check(z.maxLength(SignalLimits.TAG_MAX)))),
  sdpMLineIndex: z.optional(z.nullable(z.number().check(z.int(), z.minimum(0), z.maximum(1024)))),
  usernameFragment: z.optional(z.nullable(z.string().check(z.maxLength(SignalLimits.TAG_MAX)))),
});

/**
 * What the two parties exchange: the caller's offer, the callee's answer, ICE candidates both
 * ways, and the callee's request that the caller restart ICE (only the caller offers).
 */
export const signalDataSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('offer'), sdp: sdpSchema }),
  z.object({ kind: z.literal('answer'), sdp: sdpSchema }),
  z.object({ kind: z.literal('candidate'), candidate: z.nullable(iceCandidateSchema) }),
  z.object({ kind: z.literal('restart') }),
  /** From the server: the other party moved the call to another of its devices; start the media afresh. */
  z.object({ kind: z.literal('moved') }),
]);

/** Client → server: relay `data` to the other party of the started call in room `roomId`. */
export const signalMessageSchema = z.object({
  type: z.literal('signal'),
  roomId: roomIdSchema,
  data: signalDataSchema,
});

/** Server → client: `from`, the other party of the call in room `roomId`, sent `data`. */
export const signalDeliveryMessageSchema = z.object({
  type: z.literal('signal'),
  roomId: roomIdSchema,
  from: z.string(),
  data: signalDataSchema,
});

export type IceCandidateData = z.infer<typeof iceCandidateSchema>;
export type SignalData = z.infer<typeof signalDataSchema>;
export type SignalMessage = z.infer<typeof signalMessageSchema>;
export type SignalDeliveryMessage = z.infer<typeof signalDeliveryMessageSchema>;
