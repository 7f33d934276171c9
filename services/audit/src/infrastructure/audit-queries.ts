import type { Collection, Filter } from 'mongodb';
import { computeFunnels, type FunnelName, type FunnelReport } from '../domain/funnels';
import type { AuditRecordDoc } from './audit-chain';
import type { AuditCollections, SuspiciousDoc } from './read-models';

export interface Page<T> {
  items: T[];
  nextCursor: string;
}

const clampLimit = (limit: number) => (limit <= 0 ? 50 : Math.min(200, limit));

/** Cursors are the last seq (records) or `<ms>_<id>` (flags) of the previous page; junk means "from the start". */
function seqCursor(cursor: string): number | undefined {
  return /^[1-9][0-9]{0,15}$/.test(cursor) ? Number(cursor) : undefined;
}

export async function queryRecords(
  records: Collection<AuditRecordDoc>,
  q: { eventType: string; actor: string; limit: number; cursor: string },
): Promise<Page<AuditRecordDoc>> {
  const limit = clampLimit(q.limit);
  const before = seqCursor(q.cursor);
  const filter: Filter<AuditRecordDoc> = {
    ...(q.eventType !== '' ? { eventType: q.eventType } : {}),
    ...(q.actor !== '' ? { actor: q.actor } : {}),
    ...(before !== undefined ? { seq: { $lt: before } } : {}),
  };
  const items = await records.find(filter, { sort: { seq: -1 }, limit: limit + 1 }).toArray();
  const more = items.length > limit;
  const page = items.slice(0, limit);
  return { items: page, nextCursor: more && page.length > 0 ? String(page[page.length - 1]!.seq) : '' };
}

export async function listSuspicious(
  suspicious: Collection<SuspiciousDoc>,
  q: { kind: string; limit: number; cursor: string },
): Promise<Page<SuspiciousDoc>> {
  const limit = clampLimit(q.limit);
  const m = /^([0-9]{1,16})_([A-Za-z0-9-]{1,64})$/.exec(q.cursor);
  const at = m ? new Date(Number(m[1])) : undefined;
  const filter: Filter<SuspiciousDoc> = {
    ...(q.kind !== '' ? { kind: q.kind as SuspiciousDoc['kind'] } : {}),
    ...(m && at ? { $or: [{ at: { $lt: at } }, { at, _id: { $lt: m[2]! } }] } : {}),
  };
  const items = await suspicious.find(filter, { sort: { at: -1, _id: -1 }, limit: limit + 1 }).toArray();
  const more = items.length > limit;
  const page = items.slice(0, limit);
  const last = page[page.length - 1];
  return { items: page, nextCursor: more && last ? `${last.at.getTime()}_${last._id}` : '' };
}

export interface Statistics {
  counts: { eventType: string; count: number }[];
  totalEvents: number;
  auditRecords: number;
  suspiciousFlags: number;
}

export async function statistics(c: AuditCollections, records: Collection<AuditRecordDoc>): Promise<Statistics> {
  // FerretDB's $group knows $sum and $count only, which is all this needs.
  const grouped = await c.eventLog.aggregate<{ _id: string; count: number }>([{ $group: { _id: '$type', count: { $sum: 1 } } }]).toArray();
  const counts = grouped.map((g) => ({ eventType: g._id, count: Number(g.count) })).sort((a, b) => b.count - a.count || a.eventType.localeCompare(b.eventType));
  return {
    counts,
    totalEvents: counts.reduce((sum, x) => sum + x.count, 0),
    auditRecords: await records.countDocuments({}),
    suspiciousFlags: await c.suspicious.countDocuments({}),
  };
}

/** Loads each step's distinct subjects and intersects them in code (no $lookup/$facet on FerretDB). */
export async function funnels(c: AuditCollections): Promise<FunnelReport[]> {
  const facts = await c.funnelFacts.find({}, { projection: { funnel: 1, step: 1, key: 1 } }).toArray();
  const sets = new Map<string, Set<string>>();
  for (const f of facts) {
    const k = `${f.funnel}:${f.step}`;
    let s = sets.get(k);
    if (!s) sets.set(k, (s = new Set()));
    s.add(f.key);
  }
  const empty: ReadonlySet<string> = new Set();
  return computeFunnels((funnel: FunnelName, step: string) => sets.get(`${funnel}:${step}`) ?? empty);
}
