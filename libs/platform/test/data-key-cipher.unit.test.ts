import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DataKeyCipher, dataKeysFromRpc, errors, isContentErased, type DataKeyLookup, type DataKeySource } from '../src';

/** A key source over a map, counting lookups; `erase` deletes a user's key as the memory service does. */
function keySource() {
  const keys = new Map<string, { keyId: string; key: Buffer } | 'erased'>();
  let lookups = 0;
  const source: DataKeySource = {
    async get(userId, { create }): Promise<DataKeyLookup> {
      lookups += 1;
      const k = keys.get(userId);
      if (k === 'erased') return { status: 'erased' };
      if (k) return { status: 'active', ...k };
      if (!create) return { status: 'none' };
      const fresh = { keyId: `k-${userId}`, key: randomBytes(32) };
      keys.set(userId, fresh);
      return { status: 'active', ...fresh };
    },
  };
  return { source, erase: (userId: string) => keys.set(userId, 'erased'), lookups: () => lookups };
}

describe('DataKeyCipher', () => {
  it('round-trips text (unicode, empty) and never leaves the plaintext in the sealed form', async () => {
    const { source } = keySource();
    const cipher = new DataKeyCipher(source);
    for (const text of ['I felt awful at the MARKER-7731 party', '', 'ümlaut — 😶‍🌫️ 漢字']) {
      const sealed = await cipher.encrypt('u1', text);
      expect(sealed.keyId).toBe('k-u1');
      expect(sealed.ciphertext.startsWith('v1.')).toBe(true);
      if (text !== '') expect(sealed.ciphertext).not.toContain('MARKER');
      expect(await cipher.decrypt('u1', sealed)).toBe(text);
    }
  });

  it('seals the same text differently each time (random IV)', async () => {
    const cipher = new DataKeyCipher(keySource().source);
    const a = await cipher.encrypt('u1', 'same words');
    const b = await cipher.encrypt('u1', 'same words');
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it("refuses another user's ciphertext and tampered bytes", async () => {
    const { source } = keySource();
    const cipher = new DataKeyCipher(source);
    const sealed = await cipher.encrypt('u1', 'private');
    await cipher.encrypt('u2', 'warm up u2 key');
    await expect(cipher.decrypt('u2', sealed)).rejects.toMatchObject({ code: 'CONTENT_UNREADABLE' });
    const raw = Buffer.from(sealed.ciphertext.slice(3), 'base64');
    raw[raw.length - 20] = (raw[raw.length - 20] ?? 0) ^ 0xff;
    await expect(cipher.decrypt('u1', { ciphertext: `v1.${raw.toString('base64')}`, keyId: sealed.keyId })).rejects.toMatchObject({ code: 'CONTENT_UNREADABLE' });
    await expect(cipher.decrypt('u1', { ciphertext: 'plain words', keyId: sealed.keyId })).rejects.toMatchObject({ code: 'CONTENT_UNREADABLE' });
  });

  it('after erasure (and forget) nothing sealed for the user can be read or written', async () => {
    const { source, erase } = keySource();
    const cipher = new DataKeyCipher(source);
    const sealed = await cipher.encrypt('u1', 'before erasure');
    erase('u1');
    cipher.forget('u1');
    const err = await cipher.decrypt('u1', sealed).catch((e: unknown) => e);
    expect(isContentErased(err)).toBe(true);
    await expect(cipher.encrypt('u1', 'after')).rejects.toMatchObject({ code: 'CONTENT_ERASED' });
  });

  it('caches keys for the TTL, then asks the source again', async () => {
    const { source, lookups } = keySource();
    let now = 1_000;
    const cipher = new DataKeyCipher(source, { cacheTtlMs: 100, now: () => now });
    await cipher.encrypt('u1', 'a');
    await cipher.encrypt('u1', 'b');
    expect(lookups()).toBe(1);
    now += 101;
    await cipher.encrypt('u1', 'c');
    expect(lookups()).toBe(2);
  });

  it("keyId '' passes content through (content that is empty by design)", async () => {
    const cipher = new DataKeyCipher(keySource().source);
    expect(await cipher.decrypt('u1', { ciphertext: '', keyId: '' })).toBe('');
  });
});

describe('dataKeysFromRpc (memory.GetDataKey)', () => {
  it('maps an active key, an erased user and NOT_FOUND; other failures propagate', async () => {
    const key = randomBytes(32);
    const source = dataKeysFromRpc(async ({ userId, create }) => {
      if (userId === 'gone') return { keyId: '', key: new Uint8Array(), erased: true };
      if (userId === 'new' && !create) throw errors.notFound('DATA_KEY_NOT_FOUND', 'no key yet');
      if (userId === 'down') throw errors.unavailable('UNAVAILABLE', 'memory is down');
      return { keyId: `k-${userId}`, key, erased: false };
    });
    expect(await source.get('u1', { create: true })).toEqual({ status: 'active', keyId: 'k-u1', key });
    expect(await source.get('gone', { create: true })).toEqual({ status: 'erased' });
    expect(await source.get('new', { create: false })).toEqual({ status: 'none' });
    await expect(source.get('down', { create: true })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});
