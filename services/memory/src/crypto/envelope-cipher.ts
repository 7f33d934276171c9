import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Envelope encryption (ARCHITECTURE.md "PII in events"): every user has an AES-256 data key; the
 * data key is stored only wrapped (AES-256-GCM) under a master key, and memory text is sealed with
 * the data key. Destroying the wrapped data key makes every ciphertext under it unreadable.
 *
 * This module is internal to the memory service on purpose: other services obtain data keys
 * through the GetDataKey RPC and bring their own cipher code.
 */

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;
const SEAL_VERSION = 'v1';

export class DecryptionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecryptionError';
  }
}

export interface MasterKey {
  readonly id: string;
  readonly key: Buffer;
}

/** The current master key (wraps new data keys) and older ones still able to unwrap. */
export class MasterKeyRing {
  private readonly byId = new Map<string, Buffer>();

  constructor(
    readonly current: MasterKey,
    previous: readonly MasterKey[] = [],
  ) {
    for (const k of [current, ...previous]) {
      if (k.key.length !== KEY_BYTES) throw new RangeError(`master key ${k.id} must be ${KEY_BYTES} bytes`);
      this.byId.set(k.id, k.key);
    }
  }

  get(id: string): Buffer {
    const key = this.byId.get(id);
    if (key === undefined) throw new DecryptionError(`master key ${id} is not configured`);
    return key;
  }
}

/** A data key as it is stored: wrapped under a master key. Safe to persist; useless without the master key. */
export interface WrappedDataKey {
  readonly keyId: string;
  readonly masterKeyId: string;
  /** base64 of iv ‖ ciphertext ‖ tag. */
  readonly wrapped: string;
  readonly createdAt: string;
}

function seal(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DecryptionError('ciphertext is too short');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (cause) {
    // GCM authentication failed: wrong key, wrong context or tampered bytes.
    throw new DecryptionError('ciphertext could not be authenticated', { cause });
  }
}

/** Additional authenticated data binding a wrapped key to its user and key id (no swapping between users). */
const wrapContext = (userId: string, keyId: string) => `haven.data-key:${userId}:${keyId}`;

export function generateDataKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

export function wrapDataKey(ring: MasterKeyRing, userId: string, keyId: string, dataKey: Buffer, now: Date): WrappedDataKey {
  if (dataKey.length !== KEY_BYTES) throw new RangeError(`data keys are ${KEY_BYTES} bytes`);
  const wrapped = seal(ring.current.key, dataKey, wrapContext(userId, keyId)).toString('base64');
  return { keyId, masterKeyId: ring.current.id, wrapped, createdAt: now.toISOString() };
}

export function unwrapDataKey(ring: MasterKeyRing, userId: string, stored: WrappedDataKey): Buffer {
  return open(ring.get(stored.masterKeyId), Buffer.from(stored.wrapped, 'base64'), wrapContext(userId, stored.keyId));
}

/**
 * Seals text under a data key: `v1.<keyId>.<base64url(iv ‖ ciphertext ‖ tag)>`. `context` is
 * authenticated (not secret): pass what the text belongs to (e.g. the memory id) so that a
 * ciphertext moved to another record fails to open.
 */
export function encryptText(dataKey: Buffer, keyId: string, plaintext: string, context: string): string {
  const sealed = seal(dataKey, Buffer.from(plaintext, 'utf8'), `${keyId}:${context}`);
  return `${SEAL_VERSION}.${keyId}.${sealed.toString('base64url')}`;
}

/** The data key id a sealed text was made with (to pick the right key). */
export function sealedKeyId(sealedText: string): string {
  const [version, keyId] = sealedText.split('.');
  if (version !== SEAL_VERSION || keyId === undefined || keyId === '') throw new DecryptionError('not a sealed text');
  return keyId;
}

export function decryptText(dataKey: Buffer, sealedText: string, context: string): string {
  const parts = sealedText.split('.');
  if (parts.length !== 3 || parts[0] !== SEAL_VERSION) throw new DecryptionError('not a sealed text');
  const [, keyId, body] = parts as [string, string, string];
  return open(dataKey, Buffer.from(body, 'base64url'), `${keyId}:${context}`).toString('utf8');
}
