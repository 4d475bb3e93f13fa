/** Wire limits shared by the server and the SDKs. */
export const Limits = {
  /** Longest user id, in characters. */
  USER_ID_MAX: 64,
  /** Largest `userStr`, in UTF-8 bytes. */
  USER_STR_MAX_BYTES: 1024,
  /** Largest value of `param` and `flags` (unsigned 32-bit). */
  UINT32_MAX: 0xffffffff,
  /** Longest client control id. */
  CONTROL_ID_MAX: 64,
  /** Longest access token, in characters. */
  TOKEN_MAX: 4096,
} as const;

export const USER_ID_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;

const encoder = new TextEncoder();

/** Whether `text` fits in `userStr`'s limit of UTF-8 bytes. */
export function fitsUserStr(text: string): boolean {
  // Every UTF-16 code unit takes 1 to 3 UTF-8 bytes, so most strings need no encoding to decide.
  if (text.length > Limits.USER_STR_MAX_BYTES) return false;
  if (text.length * 3 <= Limits.USER_STR_MAX_BYTES) return true;
  return encoder.encode(text).length <= Limits.USER_STR_MAX_BYTES;
}
