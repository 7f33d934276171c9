import type { ContentCipher } from '../application/ports';

/**
 * Stores content as it is (keyId ''). The seam where per-user data keys (AES-256-GCM, from the
 * memory service) plug in; decrypt must keep accepting keyId '' for events written before that.
 */
export const identityCipher: ContentCipher = {
  encrypt: async (_userId, plaintext) => ({ ciphertext: plaintext, keyId: '' }),
  decrypt: async (_userId, sealed) => {
    if (sealed.keyId !== '') throw new Error(`no cipher for key ${sealed.keyId}`);
    return sealed.ciphertext;
  },
};
