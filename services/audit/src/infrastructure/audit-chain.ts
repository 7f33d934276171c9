import type { Collection, Db } from 'mongodb';
import { ChainVerifier, chainRecord, type AuditEntry, type AuditRecord, type ChainVerdict } from '../domain/audit-record';

/** An audit record as stored: `_id` is the event id, so an event is recorded at most once. */
export type AuditRecordDoc = AuditRecord & { _id: string };

export const AUDIT_RECORDS_COLLECTION = 'audit_records';

const DUPLICATE_KEY = 11000;
const MAX_APPEND_ATTEMPTS = 20;

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && (err as { code: unknown }).code === DUPLICATE_KEY;
}

export function auditRecords(db: Db): Collection<AuditRecordDoc> {
  return db.collection<AuditRecordDoc>(AUDIT_RECORDS_COLLECTION);
}

export async function ensureAuditRecordIndexes(records: Collection<AuditRecordDoc>): Promise<void> {
  // The unique seq index is the chain's fence: two writers can never both append seq n.
  await records.createIndex({ seq: 1 }, { unique: true, name: 'seq_unique' });
  await records.createIndex({ eventType: 1, seq: -1 }, { name: 'type_seq' });
  await records.createIndex({ actor: 1, seq: -1 }, { name: 'actor_seq' });
}

export type AppendOutcome = 'appended' | 'duplicate';

/**
 * Appends records to the hash chain. The chain needs one total order, so appends are serialised:
 * in this process by a promise queue, and between replicas by the unique index on seq (a fencing
 * check on the last seq): a writer whose view of the head is stale gets a duplicate key on seq,
 * reloads the head and links again. Nothing ever updates or deletes a record.
 */
export class AuditChain {
  private head: { seq: number; hash: string } | undefined;
  private headLoaded = false;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly records: Collection<AuditRecordDoc>,
    private readonly now: () => Date,
  ) {}

  append(entry: AuditEntry): Promise<AppendOutcome> {
    const run = this.tail.then(() => this.appendNow(entry));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async loadHead(): Promise<void> {
    const last = await this.records.find({}, { sort: { seq: -1 }, limit: 1 }).next();
    this.head = last ? { seq: last.seq, hash: last.hash } : undefined;
    this.headLoaded = true;
  }

  private async appendNow(entry: AuditEntry): Promise<AppendOutcome> {
    if ((await this.records.countDocuments({ _id: entry.eventId }, { limit: 1 })) > 0) return 'duplicate';
    for (let attempt = 1; attempt <= MAX_APPEND_ATTEMPTS; attempt++) {
      if (!this.headLoaded) await this.loadHead();
      const record = chainRecord(entry, this.head, this.now());
      try {
        await this.records.insertOne({ _id: record.eventId, ...record });
        this.head = { seq: record.seq, hash: record.hash };
        return 'appended';
      } catch (err) {
        if (!isDuplicateKey(err)) {
          // Unknown whether it was stored: reload the head before the next append.
          this.headLoaded = false;
          throw err;
        }
        if ((await this.records.countDocuments({ _id: entry.eventId }, { limit: 1 })) > 0) return 'duplicate';
        // Another writer took this seq: our head is stale.
        this.headLoaded = false;
      }
    }
    throw new Error(`audit chain: could not append ${entry.eventId} after ${MAX_APPEND_ATTEMPTS} attempts (seq contention)`);
  }
}

/** Walks the whole chain in seq order and reports the first broken link. */
export async function verifyChain(records: Collection<AuditRecordDoc>, batchSize = 500): Promise<ChainVerdict> {
  const verifier = new ChainVerifier();
  const cursor = records.find({}, { sort: { seq: 1 }, batchSize });
  try {
    for await (const doc of cursor) {
      if (!verifier.check(doc)) break;
    }
  } finally {
    await cursor.close();
  }
  return verifier.verdict();
}
