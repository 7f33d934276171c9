import { MongoServerError } from 'mongodb';
import type { Collection, Document, UpdateFilter } from 'mongodb';

// The two driver calls the guard makes, typed loosely: its own filters ({_id, version}) fit every
// T extends VersionedDocument, but the driver's Filter<T> cannot be satisfied for a generic T.
interface GuardedWrites {
  updateOne(filter: Document, update: Document, options?: { upsert?: boolean }): Promise<{ matchedCount: number; upsertedCount: number }>;
  findOne(filter: Document, options: { projection: Document }): Promise<Document | null>;
}


/** A read-model document kept by one aggregate's events; `version` = last applied event version. */
export interface VersionedDocument {
  _id: string;
  version: number;
}

/**
 * - `applied`: the update was written and the document is now at `version`;
 * - `stale`: the document is already at or beyond `version` (redelivery/replay) — just ack;
 * - `gap`: an earlier event is not applied yet — retry later (throw RetryLaterError).
 */
export type VersionedApplyResult = 'applied' | 'stale' | 'gap';

const DUPLICATE_KEY = 11000;
const OPERATORS_WITH_FIELDS = ['$set', '$setOnInsert', '$inc', '$unset', '$push', '$addToSet', '$pull', '$max', '$min', '$mul', '$rename', '$pop', '$currentDate'];

function isDuplicateKey(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === DUPLICATE_KEY;
}

function assertUpdate(update: object): void {
  for (const [operator, fields] of Object.entries(update)) {
    if (!operator.startsWith('$')) {
      throw new TypeError(`applyVersioned: update must use operators ($set, $inc, ...), got field ${operator}`);
    }
    if (!OPERATORS_WITH_FIELDS.includes(operator)) continue;
    if (typeof fields === 'object' && fields !== null && ('version' in fields || '_id' in fields)) {
      throw new TypeError(`applyVersioned: ${operator} must not touch version or _id; the guard owns them`);
    }
  }
}

/**
 * Applies the update of event `version` to document `id` exactly once and in order:
 * only when the document is at `version - 1` (version 1 creates it). Uses single-document
 * writes with the version in the filter, no transactions, so it works on MongoDB and FerretDB.
 *
 * FerretDB does not update atomically: two writers applying the SAME version of one document at
 * the same moment could both pass the filter. The projection runner prevents that within a
 * process (one subject at a time) and across replicas (the server does not redeliver a message
 * while its handler keeps extending the ack wait).
 */
export async function applyVersioned<T extends VersionedDocument>(
  collection: Collection<T>,
  id: string,
  version: number,
  update: UpdateFilter<T>,
): Promise<VersionedApplyResult> {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new RangeError(`applyVersioned: version must be an integer >= 1, got ${version}`);
  }
  assertUpdate(update);
  const docs: GuardedWrites = collection;
  const versioned: Document = { ...update, $set: { ...update.$set, version } };

  if (version === 1) {
    try {
      const result = await docs.updateOne({ _id: id, version: { $lt: 1 } }, versioned, { upsert: true });
      if (result.upsertedCount === 1 || result.matchedCount === 1) return 'applied';
    } catch (err) {
      // The document exists (already applied) or a concurrent upsert won the race.
      if (!isDuplicateKey(err)) throw err;
    }
  } else {
    const result = await docs.updateOne({ _id: id, version: version - 1 }, versioned);
    if (result.matchedCount === 1) return 'applied';
  }

  const current = await docs.findOne({ _id: id }, { projection: { version: 1 } });
  const stored: unknown = current?.['version'];
  const currentVersion = typeof stored === 'number' ? stored : 0;
  return currentVersion >= version ? 'stale' : 'gap';
}
