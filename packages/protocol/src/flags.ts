/** Bits of `flags`, carried from REQUEST to START and into the media layer. */
export const CallFlags = {
  AUDIO: 0x01,
  VIDEO: 0x02,
  /** The caller sends no audio. */
  FBSRCAUDIO: 0x10,
  /** The caller sends no video. */
  FBSRCVIDEO: 0x20,
  /** The callee sends no audio. */
  FBTARAUDIO: 0x40,
  /** The callee sends no video. */
  FBTARVIDEO: 0x80,
  /** Application-defined assistance request, carried untouched. */
  ASSISTREQ: 0x100,
  /** Application-defined control request, carried untouched. */
  CONTROLREQ: 0x200,
} as const;

export type CallFlag = (typeof CallFlags)[keyof typeof CallFlags];

/** What one side of a call may send, given the call's flags and whether that side is the caller. */
export function mediaAllowed(flags: number, side: 'caller' | 'callee'): { audio: boolean; video: boolean } {
  const forbidAudio = side === 'caller' ? CallFlags.FBSRCAUDIO : CallFlags.FBTARAUDIO;
  const forbidVideo = side === 'caller' ? CallFlags.FBSRCVIDEO : CallFlags.FBTARVIDEO;
  return {
    audio: (flags & CallFlags.AUDIO) !== 0 && (flags & forbidAudio) === 0,
    video: (flags & CallFlags.VIDEO) !== 0 && (flags & forbidVideo) === 0,
  };
}
