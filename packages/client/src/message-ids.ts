/**
 * Ids for the messages a client sends (`c…` for controls, `q…` for contact-centre requests). The
 * server answers a repeated id of a session with its first answer and does not apply it again, and
 * a page that reloads keeps its session: so every client instance adds a random part of its own,
 * and a reloaded page's first FINISH is never taken for the old page's first REPLY.
 */
export function messageIds(prefix: string): () => string {
  const instance = Array.from(globalThis.crypto.getRandomValues(new Uint8Array(4)), (byte) => byte.toString(16).padStart(2, '0')).join('');
  let next = 1;
  return () => `${prefix}${next++}.${instance}`;
}
