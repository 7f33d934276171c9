import { applyVersioned, RetryLaterError, type StoredEvent } from '@haven/eventstore';
import { errors } from '@haven/platform';
import type { Collection, Filter, Sort } from 'mongodb';
import type { AllSessionsQuery, SessionListQuery, SessionsReadModel, SessionSummary } from '../application/ports';
import type { SessionEvent } from '../domain/events';
import { timeModeFor } from '../domain/session';

export const SESSIONS_COLLECTION = 'sessions';
export const SESSIONS_PROJECTION = 'session-sessions';

/** The sessions browser (history, upcoming, active); rebuildable from the SESSION stream. */
export type SessionDoc = Omit<SessionSummary, 'id'> & {
  _id: string;
  reminded?: boolean;
  lastMessageAt?: Date;
  /** When the session takes (or took) place: its start, or its scheduled time until it starts. The admin browser's sort key. */
  occursAt?: Date;
};

function updateFor(e: StoredEvent<SessionEvent>): Record<string, unknown> {
  const ev = e.event;
  switch (ev.type) {
    case 'SessionScheduled': {
      const d = ev.data;
      return {
        $set: {
          userId: d.userId,
          personaId: d.personaId,
          status: 'scheduled',
          phase: null,
          plannedDuration: d.plannedDurationMinutes,
          timeMode: timeModeFor(d.plannedDurationMinutes),
          scheduledAt: d.scheduledAt,
          occursAt: d.scheduledAt,
          reminder: d.reminder,
          startedAt: null,
          endedAt: null,
          endReason: null,
          baselineMood: null,
          closingMood: null,
          moodChange: null,
          rating: null,
          messageCount: 0,
          incognito: false,
          activeSeconds: 0,
          runningSince: null,
          forceClosing: false,
        },
      };
    }
    case 'SessionStarted': {
      const d = ev.data;
      return {
        $set: {
          userId: d.userId,
          personaId: d.personaId,
          status: 'active',
          phase: 'emotional_baseline',
          plannedDuration: d.plannedDurationMinutes,
          timeMode: d.timeMode,
          startedAt: d.startedAt,
          occursAt: d.startedAt,
          endedAt: null,
          endReason: null,
          baselineMood: d.baselineMood,
          closingMood: null,
          moodChange: null,
          rating: null,
          messageCount: 0,
          incognito: d.incognito,
          activeSeconds: 0,
          runningSince: d.startedAt,
          forceClosing: false,
        },
        // A session started without a schedule; a scheduled one keeps its schedule.
        $setOnInsert: { scheduledAt: null, reminder: false },
      };
    }
    case 'SessionPaused':
      return { $set: { status: 'paused', activeSeconds: ev.data.activeSeconds, runningSince: null } };
    case 'SessionResumed':
      return { $set: { status: 'active', runningSince: ev.data.resumedAt } };
    case 'PhaseChanged':
      return { $set: { phase: ev.data.to } };
    case 'UserMessageRecorded':
      return { $set: { messageCount: ev.data.messageCount, lastMessageAt: ev.data.recordedAt } };
    case 'ForceClosingSet':
      return { $set: { forceClosing: true } };
    case 'SessionEnded': {
      const d = ev.data;
      return {
        $set: {
          status: d.reason === 'cancelled' ? 'cancelled' : 'completed',
          phase: 'ended',
          endedAt: d.endedAt,
          endReason: d.reason,
          closingMood: d.closingMood,
          rating: d.rating,
          moodChange: d.moodChange,
          activeSeconds: d.actualDurationSeconds,
          runningSince: null,
        },
      };
    }
    case 'SessionReminderDue':
      return { $set: { reminded: true } };
    case 'SessionCancelled':
      return { $set: { status: 'cancelled', endedAt: ev.data.cancelledAt, endReason: ev.data.reason } };
    default: {
      const never: never = ev;
      return never;
    }
  }
}

export function sessionsProjection(sessions: Collection<SessionDoc>) {
  return async (e: StoredEvent<SessionEvent>): Promise<void> => {
    const result = await applyVersioned(sessions, e.aggregateId, e.version, updateFor(e));
    if (result === 'gap') throw new RetryLaterError(`sessions: ${e.aggregateId} v${e.version} arrived before its predecessor`);
  };
}

export async function ensureSessionIndexes(sessions: Collection<SessionDoc>): Promise<void> {
  await sessions.createIndex({ userId: 1, status: 1 });
  await sessions.createIndex({ occursAt: -1, _id: -1 });
  await sessions.createIndex({ personaId: 1, occursAt: -1 });
}

/**
 * Sets `occursAt` on documents projected before the field existed (once per document). The
 * filter re-checks the field, so a projection write that lands in between is never overwritten.
 */
export async function backfillOccursAt(sessions: Collection<SessionDoc>): Promise<number> {
  const missing = await sessions
    .find({ occursAt: { $exists: false } } as Filter<SessionDoc>, { projection: { _id: 1, startedAt: 1, scheduledAt: 1 } })
    .toArray();
  let updated = 0;
  for (const doc of missing) {
    const at = doc.startedAt ?? doc.scheduledAt;
    if (!at) continue;
    const res = await sessions.updateOne({ _id: doc._id, occursAt: { $exists: false } } as Filter<SessionDoc>, { $set: { occursAt: at } });
    updated += res.modifiedCount;
  }
  return updated;
}

// Keyset pagination: the cursor is the sort key and id of the last row of the previous page.
interface Cursor {
  readonly at: number;
  readonly id: string;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'at' in parsed && 'id' in parsed) {
      const { at, id } = parsed;
      if (typeof at === 'number' && Number.isFinite(at) && typeof id === 'string') return { at, id };
    }
  } catch {
    // fall through
  }
  throw errors.invalidArgument('INVALID_CURSOR', 'cursor is not one this service returned');
}

type SortField = 'endedAt' | 'scheduledAt' | 'startedAt';

export class MongoSessionsReadModel implements SessionsReadModel {
  constructor(private readonly sessions: Collection<SessionDoc>) {}

  async list(q: SessionListQuery): Promise<{ sessions: SessionSummary[]; nextCursor: string | null }> {
    let filter: Filter<SessionDoc>;
    let field: SortField;
    let direction: 1 | -1;
    switch (q.filter) {
      case 'history':
        filter = { userId: q.userId, status: { $in: ['completed', 'cancelled'] } };
        field = 'endedAt';
        direction = -1;
        break;
      case 'upcoming':
        filter = { userId: q.userId, status: 'scheduled', scheduledAt: { $gt: q.now } };
        field = 'scheduledAt';
        direction = 1;
        break;
      case 'active':
        filter = { userId: q.userId, status: { $in: ['active', 'paused'] } };
        field = 'startedAt';
        direction = -1;
        break;
      default: {
        const never: never = q.filter;
        return never;
      }
    }
    if (q.cursor !== null) {
      const c = decodeCursor(q.cursor);
      const at = new Date(c.at);
      const beyond = direction === -1 ? '$lt' : '$gt';
      filter = { ...filter, $or: [{ [field]: { [beyond]: at } }, { [field]: at, _id: { [beyond]: c.id } }] } as Filter<SessionDoc>;
    }
    const sort: Sort = { [field]: direction, _id: direction };
    const docs = await this.sessions.find(filter).sort(sort).limit(q.limit + 1).toArray();
    const page = docs.slice(0, q.limit);
    const last = page[page.length - 1];
    const lastAt = last?.[field];
    const nextCursor = docs.length > q.limit && last && lastAt ? encodeCursor({ at: lastAt.getTime(), id: last._id }) : null;
    return { sessions: page.map(toSummary), nextCursor };
  }

  async listAll(q: AllSessionsQuery): Promise<{ sessions: SessionSummary[]; nextCursor: string | null }> {
    const and: Filter<SessionDoc>[] = [];
    if (q.personaId !== null) and.push({ personaId: q.personaId });
    if (q.userId !== null) and.push({ userId: q.userId });
    if (q.status !== null) and.push({ status: q.status });
    if (q.from !== null || q.to !== null) {
      and.push({ occursAt: { ...(q.from !== null ? { $gte: q.from } : {}), ...(q.to !== null ? { $lt: q.to } : {}) } } as Filter<SessionDoc>);
    }
    if (q.cursor !== null) {
      const c = decodeCursor(q.cursor);
      const at = new Date(c.at);
      and.push({ $or: [{ occursAt: { $lt: at } }, { occursAt: at, _id: { $lt: c.id } }] } as Filter<SessionDoc>);
    }
    const filter: Filter<SessionDoc> = and.length === 0 ? {} : { $and: and };
    const docs = await this.sessions.find(filter).sort({ occursAt: -1, _id: -1 }).limit(q.limit + 1).toArray();
    const page = docs.slice(0, q.limit);
    const last = page[page.length - 1];
    const nextCursor = docs.length > q.limit && last?.occursAt ? encodeCursor({ at: last.occursAt.getTime(), id: last._id }) : null;
    return { sessions: page.map(toSummary), nextCursor };
  }

  countByUser(userIds: readonly string[]): Promise<Map<string, { total: number; completed: number }>> {
    return countSessionsByUser(this.sessions, userIds);
  }
}

export async function countSessionsByUser(sessions: Collection<SessionDoc>, userIds: readonly string[]): Promise<Map<string, { total: number; completed: number }>> {
  // Counted here rather than with $group/$cond, which FerretDB 1.x does not fully support; only
  // the status field of the given users' sessions is read.
  const counts = new Map<string, { total: number; completed: number }>();
  const cursor = sessions.find({ userId: { $in: [...userIds] } }, { projection: { userId: 1, status: 1 } });
  for await (const doc of cursor) {
    const c = counts.get(doc.userId) ?? { total: 0, completed: 0 };
    c.total += 1;
    if (doc.status === 'completed') c.completed += 1;
    counts.set(doc.userId, c);
  }
  return counts;
}

// The read model's extra fields (occursAt, reminded, lastMessageAt) stay inside the projection.
function toSummary(doc: SessionDoc): SessionSummary {
  const { _id, occursAt: _occursAt, reminded: _reminded, lastMessageAt: _lastMessageAt, ...rest } = doc;
  return { ...rest, id: _id };
}
