import type { JetStreamClient, JetStreamManager, KV } from 'nats';
import type { WrappedDataKey } from '../crypto/envelope-cipher';

/** Where wrapped data keys live. Unlike the event streams, it can truly forget a key. */
export interface DataKeyVaultPort {
  get(userId: string): Promise<WrappedDataKey | undefined>;
  /** Stores the key unless the user already has one; returns whichever key is stored. */
  create(userId: string, key: WrappedDataKey): Promise<WrappedDataKey>;
  /** Removes every revision of the user's key, including the purge marker. Idempotent. */
  destroy(userId: string): Promise<void>;
}

export const DATA_KEY_BUCKET = 'haven_data_keys';

const keyOf = (userId: string) => `u.${userId}`;

function parse(value: Uint8Array): WrappedDataKey {
  const v = JSON.parse(Buffer.from(value).toString('utf8')) as Partial<WrappedDataKey>;
  if (typeof v.keyId !== 'string' || typeof v.masterKeyId !== 'string' || typeof v.wrapped !== 'string' || typeof v.createdAt !== 'string') {
    throw new Error('data key entry is malformed');
  }
  return { keyId: v.keyId, masterKeyId: v.masterKeyId, wrapped: v.wrapped, createdAt: v.createdAt };
}

/**
 * Wrapped data keys in a NATS JetStream KV bucket with history 1. Erasure purges the key (the
 * rollup removes every earlier revision) and then purges the subject from the bucket's stream, so
 * not even the purge marker remains. The bucket's stream must allow purges (checked at open).
 */
export class NatsDataKeyVault implements DataKeyVaultPort {
  private constructor(
    private readonly kv: KV,
    private readonly jsm: JetStreamManager,
    private readonly bucketName: string,
  ) {}

  private get streamName(): string {
    return `KV_${this.bucketName}`;
  }

  static async open(js: JetStreamClient, jsm: JetStreamManager, opts: { replicas: number; bucket?: string }): Promise<NatsDataKeyVault> {
    const bucket = opts.bucket ?? DATA_KEY_BUCKET;
    const kv = await js.views.kv(bucket, { history: 1, replicas: opts.replicas, description: 'Haven: per-user data keys, wrapped under the master key' });
    const streamName = `KV_${bucket}`;
    const info = await jsm.streams.info(streamName);
    if (info.config.deny_purge === true) {
      await jsm.streams.update(streamName, { ...info.config, deny_purge: false });
    }
    return new NatsDataKeyVault(kv, jsm, bucket);
  }

  /** The underlying bucket (tests inspect revisions through it). */
  get bucket(): KV {
    return this.kv;
  }

  async get(userId: string): Promise<WrappedDataKey | undefined> {
    const entry = await this.kv.get(keyOf(userId));
    if (entry === null || entry.operation !== 'PUT' || entry.value.length === 0) return undefined;
    return parse(entry.value);
  }

  async create(userId: string, key: WrappedDataKey): Promise<WrappedDataKey> {
    try {
      await this.kv.create(keyOf(userId), Buffer.from(JSON.stringify(key)));
      return key;
    } catch (err) {
      // Another replica created the user's key first: use theirs.
      const existing = await this.get(userId);
      if (existing !== undefined) return existing;
      throw err;
    }
  }

  async destroy(userId: string): Promise<void> {
    const key = keyOf(userId);
    await this.kv.purge(key);
    await this.jsm.streams.purge(this.streamName, { filter: `$KV.${this.bucketName}.${key}` });
  }
}
