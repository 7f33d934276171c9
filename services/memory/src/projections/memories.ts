import { applyVersioned, RetryLaterError, type StoredEvent } from '@haven/eventstore';
import { MongoServerError, type Collection, type Db } from 'mongodb';
import type { MemoryEvent, MemoryStatus } from '../domain/events';

/** Read model of one memory; `text` is ciphertext under the user's data key. */
export interface MemoryDoc {
  _id: string;
  userId: string;
  personaId: string;
  sessionId: string;
  status: MemoryStatus | 'deleted';
  text: string;
  generalised: boolean;
  createdAt: Date;
  updatedAt: Date;
  version: number;
}

/** Users whose data was erased: their events are never projected again (replays, rebuilds). */
export interface ErasedUserDoc {
  _id: string;
  erasedAt: Date;
}

export const MEMORIES_COLLECTION = 'memories';
export const ERASED_USERS_COLLECTION = 'memory_erased_users';

export interface MemoryReadModelPort {
  apply(event: StoredEvent<MemoryEvent>): Promise<void>;
  byId(memoryId: string): Promise<MemoryDoc | undefined>;
  /** The user's memories, newest first; deleted ones excluded. */
  byUser(userId: string, filter?: { status?: MemoryStatus; personaId?: string }): Promise<MemoryDoc[]>;
  deleteUser(userId: string, erasedAt: Date): Promise<void>;
}

type Update = { kind: 'write'; update: Record<string, unknown> } | { kind: 'erase' } | { kind: 'none' };

function updateFor(e: StoredEvent<MemoryEvent>): Update {
  const ev = e.event;
  switch (ev.type) {
    case 'MemoryProposed': {
      const { memoryId: _id, ...rest } = ev.data;
      return { kind: 'write', update: { $set: { ...rest, status: 'proposed', createdAt: e.occurredAt, updatedAt: e.occurredAt } } };
    }
    case 'MemoryDecided':
      return { kind: 'write', update: { $set: { status: ev.data.approved ? 'approved' : 'rejected', updatedAt: e.occurredAt } } };
    case 'MemoryEdited':
      return { kind: 'write', update: { $set: { text: ev.data.text, generalised: ev.data.generalised, updatedAt: e.occurredAt } } };
    case 'MemoryDeleted':
      // A tombstone rather than a delete, so a redelivered MemoryProposed cannot bring it back.
      return { kind: 'write', update: { $set: { status: 'deleted', text: '', updatedAt: e.occurredAt } } };
    case 'UserErased':
      return { kind: 'erase' };
    case 'DataKeyCreated':
      return { kind: 'none' };
    default: {
      const never: never = ev;
      return never;
    }
  }
}

/** MongoDB read model of memories, fed by the MEMORY stream (and applied inline after commands). */
export class MongoMemoryReadModel implements MemoryReadModelPort {
  private readonly memories: Collection<MemoryDoc>;
  private readonly erased: Collection<ErasedUserDoc>;

  constructor(
    db: Db,
    /** Called for UserErased, e.g. to destroy the data key again (at-least-once across crashes). */
    private readonly onUserErased: (userId: string) => Promise<void> = async () => undefined,
  ) {
    this.memories = db.collection<MemoryDoc>(MEMORIES_COLLECTION);
    this.erased = db.collection<ErasedUserDoc>(ERASED_USERS_COLLECTION);
  }

  async ensureIndexes(): Promise<void> {
    await this.memories.createIndex({ userId: 1, status: 1 });
  }

  private async isErased(userId: string): Promise<boolean> {
    return (await this.erased.countDocuments({ _id: userId }, { limit: 1 })) > 0;
  }

  async apply(e: StoredEvent<MemoryEvent>): Promise<void> {
    const u = updateFor(e);
    if (u.kind === 'none') return;
    const userId = e.event.data.userId;
    if (u.kind === 'erase') {
      await this.deleteUser(userId, e.occurredAt);
      await this.onUserErased(userId);
      return;
    }
    if (await this.isErased(userId)) return;
    const result = await applyVersioned(this.memories, e.aggregateId, e.version, u.update);
    if (result === 'gap') throw new RetryLaterError(`memories: ${e.aggregateId} v${e.version} arrived before its predecessor`);
    // An erasure handled concurrently (another subject) may have run between the check and the write.
    if (await this.isErased(userId)) await this.memories.deleteMany({ userId });
  }

  async byId(memoryId: string): Promise<MemoryDoc | undefined> {
    return (await this.memories.findOne({ _id: memoryId })) ?? undefined;
  }

  async byUser(userId: string, filter: { status?: MemoryStatus; personaId?: string } = {}): Promise<MemoryDoc[]> {
    const query = {
      userId,
      status: filter.status ?? { $in: ['proposed', 'approved', 'rejected'] as MemoryStatus[] },
      ...(filter.personaId !== undefined ? { personaId: filter.personaId } : {}),
    };
    return this.memories.find(query).sort({ createdAt: -1, _id: 1 }).toArray();
  }

  async deleteUser(userId: string, erasedAt: Date): Promise<void> {
    try {
      await this.erased.updateOne({ _id: userId }, { $setOnInsert: { erasedAt } }, { upsert: true });
    } catch (err) {
      // A concurrent upsert of the same marker won (FerretDB): the marker is there, which is all we need.
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
    }
    await this.memories.deleteMany({ userId });
  }
}
