import { randomBytes } from 'node:crypto';

/** Makes one event id for an event occurring at `now`. */
export type EventIdGenerator = (now: Date) => string;

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then randomness. Ids made by one generator are
 * strictly increasing even within one millisecond or when the clock steps back (the 12-bit
 * rand_a field is used as a counter, RFC 9562 §6.2 method 1), so the events of one append sort
 * in order. The time comes in as an argument: the store passes the command's `now`.
 */
export function createUuidV7Generator(): EventIdGenerator {
  let lastMs = -1;
  let counter = 0;
  return (now: Date): string => {
    let ms = now.getTime();
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('event id: invalid timestamp');
    if (ms <= lastMs) {
      ms = lastMs;
      counter += 1;
      if (counter > 0xfff) {
        ms += 1;
        counter = 0;
      }
    } else {
      // Start low in the counter space so that many ids fit into the same millisecond.
      counter = (randomBytes(1)[0] ?? 0) & 0x3ff;
    }
    lastMs = ms;

    const bytes = randomBytes(16);
    bytes.writeUIntBE(ms, 0, 6);
    bytes[6] = 0x70 | ((counter >> 8) & 0x0f);
    bytes[7] = counter & 0xff;
    bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
    const hex = bytes.toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}
