/** The four events of the seed SDK's video call business logic, with their wire values. */
export const VideoCallEvent = {
  /** Call request (dial). */
  REQUEST: 1,
  /** Answer to a request: errorCode 0 accepts (or, at the caller, means "ringing"), non-zero refuses. */
  REPLY: 2,
  /** Call session started; `param` carries the roomId allocated by the server. */
  START: 3,
  /** Call ended (hang up). */
  FINISH: 4,
} as const;

export type VideoCallEventType = (typeof VideoCallEvent)[keyof typeof VideoCallEvent];

const eventNames: Record<VideoCallEventType, string> = { 1: 'REQUEST', 2: 'REPLY', 3: 'START', 4: 'FINISH' };

export function videoCallEventName(event: VideoCallEventType): string {
  return eventNames[event];
}

export function isVideoCallEvent(value: unknown): value is VideoCallEventType {
  return value === 1 || value === 2 || value === 3 || value === 4;
}

/** Whether this event is the last one of its call: FINISH, or a REPLY that refuses. */
export function endsCall(event: { event: number; errorCode: number }): boolean {
  return event.event === VideoCallEvent.FINISH || (event.event === VideoCallEvent.REPLY && event.errorCode !== 0);
}
