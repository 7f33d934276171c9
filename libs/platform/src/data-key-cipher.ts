import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DomainError, errors } from './errors';

/**
 * Crypto-shredding for content outside the memory service (ARCHITECTURE.md "PII in events"):
 * message text, summaries and account PII are sealed with the owner's AES-256 data key before they
 * enter an event or a projection. The memory service holds the keys (GetDataKey); erasing a user
 * deletes their key, and from then on everything sealed under it is noise.
 *
 * Sealed form: `v1.<base64 iv ‖ ciphertext ‖ tag>`, with the user id and key id bound as
 * additional authenticated data, so a ciphertext moved to another user or key fails to open.
 */

export type DataKeyLookup =
  | { readonly status: 'active'; readonly keyId: string; readonly key: Buffer }
  | { readonly status: 'erased' }
  | { readonly status: 'none' };

/** Where data keys come from (the memory service's GetDataKey, or a fake of it in unit tests). */
export interface DataKeySource {
  get(userId: string, opts: { create: boolean }): Promise<DataKeyLookup>;
}

/** The shape of memory.GetDataKey's answer (kept structural so this lib needs no generated code). */
export interface GetDataKeyAnswer {
  readonly keyId: string;
  readonly key: Uint8Array;
  readonly erased: boolean;
}

/**
 * A DataKeySource over the memory service's GetDataKey RPC: NOT_FOUND (no key yet) → 'none',
 * `erased` → 'erased'. Callers pass the call itself, e.g.
 * `(req) => memory.unary((c) => c.getDataKey, 'GetDataKey', req)`.
 */
export function dataKeysFromRpc(getDataKey: (req: { userId: string; create: boolean }) => Promise<GetDataKeyAnswer>): DataKeySource {
  return {
    async get(userId, { create }) {
      try {
        const res = await getDataKey({ userId, create });
        if (res.erased) return { status: 'erased' };
        return { status: 'active', keyId: res.keyId, key: Buffer.from(res.key) };
      } catch (err) {
        if (err instanceof DomainError && err.kind === 'NotFound') return { status: 'none' };
        throw err;
      }
    },
  };
}

export interface SealedContent {
  readonly ciphertext: string;
  /** '' = stored as it is (content that is empty by design, e.g. incognito placeholders). */
  readonly keyId: string;
}

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const PREFIX = 'v1.';

/** The owner's key was deleted (erasure): the content is gone for good. */
export function isContentErased(err: unknown): boolean {
  return err instanceof DomainError && err.code === 'CONTENT_ERASED';
}

function aad(userId: string, keyId: string): Buffer {
  return Buffer.from(`haven:${userId}:${keyId}`, 'utf8');
}

export interface DataKeyCipherOptions {
  /** How long a fetched key is reused before asking the source again. */
  readonly cacheTtlMs?: number;
  /** Upper bound on cached keys (oldest dropped first). */
  readonly maxCachedKeys?: number;
  readonly now?: () => number;
}

/**
 * AES-256-GCM with per-user data keys from a DataKeySource, with a small in-process key cache.
 * Call `forget(userId)` on erasure so a cached key cannot outlive the deletion; the TTL bounds it
 * otherwise.
 */
export class DataKeyCipher {
  private readonly cache = new Map<string, { keyId: string; key: Buffer; until: number }>();
  private readonly ttlMs: number;
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(
    private readonly source: DataKeySource,
    opts: DataKeyCipherOptions = {},
  ) {
    this.ttlMs = opts.cacheTtlMs ?? 60_000;
    this.maxKeys = opts.maxCachedKeys ?? 10_000;
    this.now = opts.now ?? Date.now;
  }

  async encrypt(userId: string, plaintext: string): Promise<SealedContent> {
    const { keyId, key } = await this.key(userId, true);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(userId, keyId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { ciphertext: PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64'), keyId };
  }

  async decrypt(userId: string, sealed: SealedContent): Promise<string> {
    if (sealed.keyId === '') return sealed.ciphertext;
    if (!sealed.ciphertext.startsWith(PREFIX)) throw new DomainError('Internal', 'CONTENT_UNREADABLE', 'sealed content has an unknown format');
    const raw = Buffer.from(sealed.ciphertext.slice(PREFIX.length), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new DomainError('Internal', 'CONTENT_UNREADABLE', 'sealed content is too short');
    const { keyId, key } = await this.key(userId, false);
    if (keyId !== sealed.keyId) throw new DomainError('Internal', 'CONTENT_UNREADABLE', `content was sealed under key ${sealed.keyId}, the user's key is ${keyId}`);
    try {
      const decipher = createDecipheriv(ALGORITHM, key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(userId, keyId));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new DomainError('Internal', 'CONTENT_UNREADABLE', 'sealed content could not be authenticated (wrong user, key or tampered bytes)');
    }
  }

  /** Drops a cached key (call when the user is erased). */
  forget(userId: string): void {
    this.cache.delete(userId);
  }

  private async key(userId: string, create: boolean): Promise<{ keyId: string; key: Buffer }> {
    const cached = this.cache.get(userId);
    if (cached && cached.until > this.now()) return cached;
    const found = await this.source.get(userId, { create });
    switch (found.status) {
      case 'active': {
        if (found.key.length !== KEY_BYTES) throw new DomainError('Internal', 'DATA_KEY_INVALID', `data key of ${userId} is ${found.key.length} bytes, expected ${KEY_BYTES}`);
        const entry = { keyId: found.keyId, key: found.key, until: this.now() + this.ttlMs };
        this.cache.delete(userId);
        this.cache.set(userId, entry);
        if (this.cache.size > this.maxKeys) {
          const oldest = this.cache.keys().next();
          if (!oldest.done) this.cache.delete(oldest.value);
        }
        return entry;
      }
      case 'erased':
        this.cache.delete(userId);
        throw errors.failedPrecondition('CONTENT_ERASED', 'the user was erased; their content can no longer be read or written');
      case 'none':
        throw errors.failedPrecondition('CONTENT_ERASED', 'the user has no data key, so nothing sealed for them can be read');
      default: {
        const never: never = found;
        return never;
      }
    }
  }
}
