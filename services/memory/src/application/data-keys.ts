import { handleCommand, type EventStorePort, type StoredEvent } from '@haven/eventstore';
import { DomainError, errors } from '@haven/platform';
import { generateDataKey, unwrapDataKey, wrapDataKey, type MasterKeyRing } from '../crypto/envelope-cipher';
import { userAggregateId, type MemoryEvent } from '../domain/events';
import { keyringDecider, type KeyringState } from '../domain/user-keyring';
import type { DataKeyVaultPort } from '../infrastructure/data-key-vault';

export type DataKeyLookup =
  | { status: 'active'; keyId: string; key: Buffer }
  | { status: 'none' }
  | { status: 'erased' };

/** Key metadata for exports: never key material. */
export interface DataKeyMetadata {
  status: 'active' | 'none' | 'erased';
  keyId?: string;
  masterKeyId?: string;
  algorithm: 'AES-256-GCM';
  createdAt?: string;
  erasedAt?: string;
}

export interface DataKeysDeps {
  store: EventStorePort<MemoryEvent>;
  vault: DataKeyVaultPort;
  ring: MasterKeyRing;
  newKeyId: () => string;
  now: () => Date;
  /** How long an unwrapped key stays in memory. Short, because other replicas only learn of an erasure by event. */
  cacheTtlMs: number;
}

/**
 * Per-user data keys: created on first use, unwrapped on demand, cached briefly, destroyed on
 * erasure. The key ring aggregate (`user-<id>`) decides; the vault only stores wrapped keys.
 */
export class DataKeys {
  private readonly cache = new Map<string, { keyId: string; key: Buffer; until: number }>();

  constructor(private readonly deps: DataKeysDeps) {}

  private async keyring(userId: string): Promise<{ state: KeyringState; events: StoredEvent<MemoryEvent>[] }> {
    const { events } = await this.deps.store.load(userAggregateId(userId));
    return { state: events.reduce((s, e) => keyringDecider.evolve(s, e.event), keyringDecider.initialState()), events };
  }

  async get(userId: string, opts: { create: boolean }): Promise<DataKeyLookup> {
    const now = this.deps.now();
    const cached = this.cache.get(userId);
    if (cached && cached.until > now.getTime()) return { status: 'active', keyId: cached.keyId, key: cached.key };

    const stored = await this.deps.vault.get(userId);
    if (stored) return this.remember(userId, stored.keyId, unwrapDataKey(this.deps.ring, userId, stored));

    const { state } = await this.keyring(userId);
    if (state.status === 'erased') return { status: 'erased' };
    if (state.status === 'active') {
      // Recorded but gone from the vault: never silently replace it (old ciphertexts would be lost for good).
      throw errors.failedPrecondition('DATA_KEY_MISSING', 'the user data key is missing from the vault');
    }
    if (!opts.create) return { status: 'none' };

    const key = generateDataKey();
    const wrapped = await this.deps.vault.create(userId, wrapDataKey(this.deps.ring, userId, this.deps.newKeyId(), key, now));
    try {
      await handleCommand({
        store: this.deps.store,
        aggregateId: userAggregateId(userId),
        decider: keyringDecider,
        command: { type: 'RecordDataKey', data: { userId, keyId: wrapped.keyId, masterKeyId: wrapped.masterKeyId } },
        meta: { actor: 'memory', now },
      });
    } catch (err) {
      // Erased while we were creating: the key must not survive the erasure.
      if (err instanceof DomainError && err.code === 'USER_ERASED') {
        await this.deps.vault.destroy(userId);
        return { status: 'erased' };
      }
      throw err;
    }
    return this.remember(userId, wrapped.keyId, unwrapDataKey(this.deps.ring, userId, wrapped));
  }

  /** Key for an existing user or an error the caller can show (USER_ERASED). */
  async require(userId: string): Promise<{ keyId: string; key: Buffer }> {
    const found = await this.get(userId, { create: true });
    if (found.status !== 'active') throw errors.failedPrecondition('USER_ERASED', 'this user was erased');
    return found;
  }

  /**
   * Crypto-shredding. UserErased is appended first so no replica can create a new key afterwards;
   * then the wrapped key is destroyed. A repeated call destroys again (healing a crash in between).
   */
  async erase(userId: string, requestedBy: string): Promise<{ alreadyErased: boolean }> {
    const { events } = await handleCommand({
      store: this.deps.store,
      aggregateId: userAggregateId(userId),
      decider: keyringDecider,
      command: { type: 'EraseUser', data: { userId, requestedBy } },
      meta: { actor: requestedBy || 'system', now: this.deps.now() },
    });
    await this.destroy(userId);
    return { alreadyErased: events.length === 0 };
  }

  /** Forgets the key everywhere this process can: vault and cache. */
  async destroy(userId: string): Promise<void> {
    this.evict(userId);
    await this.deps.vault.destroy(userId);
  }

  evict(userId: string): void {
    this.cache.delete(userId);
  }

  async metadata(userId: string): Promise<DataKeyMetadata> {
    const { state, events } = await this.keyring(userId);
    const created = events.find((e) => e.event.type === 'DataKeyCreated');
    const erased = events.find((e) => e.event.type === 'UserErased');
    return {
      status: state.status,
      algorithm: 'AES-256-GCM',
      ...(state.status === 'active' ? { keyId: state.keyId, masterKeyId: state.masterKeyId } : {}),
      ...(created ? { createdAt: created.occurredAt.toISOString() } : {}),
      ...(erased ? { erasedAt: erased.occurredAt.toISOString() } : {}),
    };
  }

  private remember(userId: string, keyId: string, key: Buffer): DataKeyLookup {
    this.cache.set(userId, { keyId, key, until: this.deps.now().getTime() + this.deps.cacheTtlMs });
    return { status: 'active', keyId, key };
  }
}
