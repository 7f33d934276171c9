import { describe, expect, it } from 'vitest';
import {
  DecryptionError,
  decryptText,
  encryptText,
  generateDataKey,
  MasterKeyRing,
  sealedKeyId,
  unwrapDataKey,
  wrapDataKey,
} from '../src/crypto/envelope-cipher';

const master = (id: string, fill: number) => ({ id, key: Buffer.alloc(32, fill) });
const now = new Date('2025-01-01T00:00:00Z');

describe('envelope encryption', () => {
  it('wraps and unwraps a data key under the master key, bound to its user', () => {
    const ring = new MasterKeyRing(master('mk1', 1));
    const dataKey = generateDataKey();
    const wrapped = wrapDataKey(ring, 'u1', 'k1', dataKey, now);
    expect(wrapped).toMatchObject({ keyId: 'k1', masterKeyId: 'mk1', createdAt: now.toISOString() });
    expect(Buffer.from(wrapped.wrapped, 'base64').includes(dataKey)).toBe(false);
    expect(unwrapDataKey(ring, 'u1', wrapped).equals(dataKey)).toBe(true);
    // The same wrapped key presented for another user fails authentication.
    expect(() => unwrapDataKey(ring, 'u2', wrapped)).toThrow(DecryptionError);
  });

  it('round-trips text and names the key it was sealed with', () => {
    const key = generateDataKey();
    const sealed = encryptText(key, 'k1', 'work stress', 'mem-1');
    expect(sealed).not.toContain('work stress');
    expect(sealedKeyId(sealed)).toBe('k1');
    expect(decryptText(key, sealed, 'mem-1')).toBe('work stress');
    // Fresh IV each time.
    expect(encryptText(key, 'k1', 'work stress', 'mem-1')).not.toBe(sealed);
  });

  it('detects tampering, a wrong key and a ciphertext moved to another record', () => {
    const key = generateDataKey();
    const sealed = encryptText(key, 'k1', 'sleep routine', 'mem-1');
    const [v, id, body] = sealed.split('.') as [string, string, string];
    const bytes = Buffer.from(body, 'base64url');
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0x01;
    expect(() => decryptText(key, `${v}.${id}.${bytes.toString('base64url')}`, 'mem-1')).toThrow(DecryptionError);
    expect(() => decryptText(generateDataKey(), sealed, 'mem-1')).toThrow(DecryptionError);
    expect(() => decryptText(key, sealed, 'mem-2')).toThrow(DecryptionError);
    expect(() => decryptText(key, `${v}.k2.${body}`, 'mem-1')).toThrow(DecryptionError);
    expect(() => decryptText(key, 'garbage', 'mem-1')).toThrow(DecryptionError);
  });

  it('tampered wrapped keys fail to unwrap', () => {
    const ring = new MasterKeyRing(master('mk1', 1));
    const wrapped = wrapDataKey(ring, 'u1', 'k1', generateDataKey(), now);
    const bytes = Buffer.from(wrapped.wrapped, 'base64');
    bytes[13] = (bytes[13] ?? 0) ^ 0xff;
    expect(() => unwrapDataKey(ring, 'u1', { ...wrapped, wrapped: bytes.toString('base64') })).toThrow(DecryptionError);
  });

  it('rotates the master key: old wrapped keys still open with the previous key, new ones use the current', () => {
    const oldRing = new MasterKeyRing(master('mk1', 1));
    const dataKey = generateDataKey();
    const oldWrapped = wrapDataKey(oldRing, 'u1', 'k1', dataKey, now);
    const rotated = new MasterKeyRing(master('mk2', 2), [master('mk1', 1)]);
    expect(unwrapDataKey(rotated, 'u1', oldWrapped).equals(dataKey)).toBe(true);
    expect(wrapDataKey(rotated, 'u1', 'k1', dataKey, now).masterKeyId).toBe('mk2');
    expect(() => unwrapDataKey(new MasterKeyRing(master('mk2', 2)), 'u1', oldWrapped)).toThrow(/mk1 is not configured/);
    expect(() => new MasterKeyRing({ id: 'short', key: Buffer.alloc(16) })).toThrow(RangeError);
  });
});
