import { createHash } from 'node:crypto';

// Fixed namespace for Haven conversation message ids (a random UUID, chosen once).
const NAMESPACE = Buffer.from('5b0d3c1e8f9a4c6db2e7a1f04c9d8e73', 'hex');

/** RFC 4122 version-5 style id: SHA-1 of namespace + name, with version and variant bits set. */
function uuidV5(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The user message id for a client-supplied idempotency key: the same (session, clientMessageId)
 * always maps to the same id, so a retry finds the stored message and JetStream de-duplicates a
 * re-publish (the event id is the message id).
 */
export function userMessageId(sessionId: string, clientMessageId: string): string {
  return uuidV5(`user:${sessionId}:${clientMessageId}`);
}

/** The answer to a user message (AI reply or crisis protocol): one per user message, by construction. */
export function replyMessageId(userMessageId: string): string {
  return uuidV5(`reply:${userMessageId}`);
}

export function summaryEventId(sessionId: string): string {
  return uuidV5(`summary:${sessionId}`);
}
