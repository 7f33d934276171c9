import { NEW_AGGREGATE, oneofCodec, WrongExpectedVersionError, type EventCodec, type EventStore, type OneofDomainEvent } from '@haven/eventstore';
import { auditV1 } from '@haven/proto';
import type { Collection, Db } from 'mongodb';
import type { EventLogPort, FunnelFactsPort, SuspiciousFlag, SuspiciousFlagsPort } from '../application/ports';
import type { EventMeta } from '../domain/consumed-events';
import { funnelFactId, type FunnelFact } from '../domain/funnels';
import { isDuplicateKey } from './audit-chain';

export interface EventLogDoc {
  _id: string;
  type: string;
  context: string;
  at: Date;
}

export interface FunnelFactDoc {
  _id: string;
  funnel: string;
  step: string;
  key: string;
  userId: string;
  at: Date;
}

export type SuspiciousDoc = Omit<SuspiciousFlag, 'id'> & { _id: string; recordedAt: Date };

export const EVENT_LOG_COLLECTION = 'audit_event_log';
export const FUNNEL_FACTS_COLLECTION = 'audit_funnel_facts';
export const SUSPICIOUS_COLLECTION = 'suspicious';

export interface AuditCollections {
  eventLog: Collection<EventLogDoc>;
  funnelFacts: Collection<FunnelFactDoc>;
  suspicious: Collection<SuspiciousDoc>;
}

export function auditCollections(db: Db): AuditCollections {
  return {
    eventLog: db.collection<EventLogDoc>(EVENT_LOG_COLLECTION),
    funnelFacts: db.collection<FunnelFactDoc>(FUNNEL_FACTS_COLLECTION),
    suspicious: db.collection<SuspiciousDoc>(SUSPICIOUS_COLLECTION),
  };
}

export async function ensureReadModelIndexes(c: AuditCollections): Promise<void> {
  await c.eventLog.createIndex({ type: 1 }, { name: 'type' });
  await c.funnelFacts.createIndex({ funnel: 1, step: 1 }, { name: 'funnel_step' });
  await c.suspicious.createIndex({ kind: 1, at: -1 }, { name: 'kind_at' });
  await c.suspicious.createIndex({ at: -1 }, { name: 'at' });
}

/** Inserts a document keyed by an idempotency id; false when it was there already. */
async function insertOnce<T extends { _id: string }>(collection: Collection<T>, doc: T): Promise<boolean> {
  try {
    await collection.insertOne(doc as Parameters<Collection<T>['insertOne']>[0]);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

export function mongoEventLog(c: AuditCollections): EventLogPort {
  return { add: (meta: EventMeta) => insertOnce(c.eventLog, { _id: meta.id, type: meta.type, context: meta.context, at: meta.occurredAt }) };
}

export function mongoFunnelFacts(c: AuditCollections): FunnelFactsPort {
  return {
    add: (fact: FunnelFact, at: Date) => insertOnce(c.funnelFacts, { _id: funnelFactId(fact), funnel: fact.funnel, step: fact.step, key: fact.key, userId: fact.userId, at }),
    async sessionOwner(sessionId) {
      const started = await c.funnelFacts.findOne({ _id: funnelFactId({ funnel: 'session', step: 'started', key: sessionId }) });
      return started?.userId || undefined;
    },
  };
}

/** The audit context's own events (SuspiciousActivityFlagged), as the store encodes them. */
export type AuditStoreEvent = OneofDomainEvent<auditV1.AuditEvent>;

export const auditStoreCodec: EventCodec<AuditStoreEvent> = oneofCodec('audit', auditV1.AuditEvent);

/** A UUID-shaped event id derived from the flag id, so re-publishing the same flag is a duplicate. */
function eventIdFor(flagId: string): string {
  const h = flagId.replace(/^flag-/, '').padEnd(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export function suspiciousFlags(c: AuditCollections, store: EventStore<AuditStoreEvent>, now: () => Date): SuspiciousFlagsPort {
  return {
    async publish(flag) {
      try {
        await store.append(
          flag.id,
          NEW_AGGREGATE,
          [{ type: 'SuspiciousActivityFlagged', data: { flagId: flag.id, kind: flag.kind, subject: flag.subject, severity: flag.severity, count: flag.count, windowSeconds: flag.windowSeconds, triggerEventId: flag.triggerEventId } }],
          { actor: 'audit', now: now(), eventIds: [eventIdFor(flag.id)], causationId: flag.triggerEventId },
        );
      } catch (err) {
        // The flag's aggregate exists: it was published before (outside the duplicate window).
        if (!(err instanceof WrongExpectedVersionError)) throw err;
      }
    },
    store: (flag) => {
      const { id, ...rest } = flag;
      return insertOnce(c.suspicious, { _id: id, ...rest, recordedAt: now() });
    },
  };
}
