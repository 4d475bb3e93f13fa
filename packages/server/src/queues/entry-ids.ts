import { randomBytes } from 'node:crypto';

/**
 * Entry ids in the shape of a UUID (version 7: the time in ms, then a counter, then random bits)
 * that sort in the order this node made them. Entries of the same priority and millisecond are
 * served by entry id (queues/order.ts), so two customers who entered one after another within a
 * millisecond keep their order.
 */
export function orderedEntryIds(now: () => number = Date.now): () => string {
  let lastMs = 0;
  let counter = 0;
  return () => {
    let ms = now();
    if (ms > lastMs) {
      lastMs = ms;
      counter = 0;
    } else {
      ms = lastMs;
      counter += 1;
      if (counter > 0xfff) {
        lastMs += 1;
        ms = lastMs;
        counter = 0;
      }
    }
    const bytes = randomBytes(16);
    bytes.writeUIntBE(ms, 0, 6);
    bytes[6] = 0x70 | (counter >> 8);
    bytes[7] = counter & 0xff;
    bytes[8] = (bytes[8]! & 0x3f) | 0x80;
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}
