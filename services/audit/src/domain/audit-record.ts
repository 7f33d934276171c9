import { createHash } from 'node:crypto';

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export type AuditResult = 'success' | 'failure' | 'denied' | 'flagged';
export type AuditCategory = 'auth' | 'access' | 'account' | 'admin' | 'billing' | 'safety' | 'session' | 'privacy' | 'security';

/** What the classifier decides to record about one event; the chain adds seq and hashes. */
export interface AuditEntry {
  /** The event id; one record per event. */
  readonly eventId: string;
  readonly eventType: string;
  readonly context: string;
  readonly aggregateId: string;
  readonly category: AuditCategory;
  readonly actor: string;
  readonly subjectUserId: string;
  readonly ip: string;
  readonly severity: Severity;
  readonly result: AuditResult;
  /** When the event occurred. */
  readonly at: Date;
  /** Whitelisted ids, codes and counts; never content. */
  readonly details: Readonly<Record<string, string>>;
}

export interface AuditRecord extends AuditEntry {
  readonly seq: number;
  readonly recordedAt: Date;
  readonly prevHash: string;
  readonly hash: string;
}

/** prevHash of record 1. */
export const GENESIS_HASH = '0'.repeat(64);

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function toJson(value: unknown): Json {
  if (value instanceof Date) return value.toISOString();
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) out[key] = toJson((value as Record<string, unknown>)[key]);
    return out;
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  throw new TypeError(`audit: cannot canonicalise a ${typeof value}`);
}

/** JSON with keys sorted at every level and dates as ISO strings: the same record always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(toJson(value));
}

/** The fields the hash covers: every field of the record except the hash itself (prevHash is prepended). */
export function hashedFields(r: Omit<AuditRecord, 'hash' | 'prevHash'>): Record<string, unknown> {
  return {
    seq: r.seq,
    eventId: r.eventId,
    eventType: r.eventType,
    context: r.context,
    aggregateId: r.aggregateId,
    category: r.category,
    actor: r.actor,
    subjectUserId: r.subjectUserId,
    ip: r.ip,
    severity: r.severity,
    result: r.result,
    at: r.at,
    recordedAt: r.recordedAt,
    details: r.details,
  };
}

export function recordHash(prevHash: string, fields: Omit<AuditRecord, 'hash' | 'prevHash'>): string {
  return createHash('sha256').update(prevHash).update(canonicalJson(hashedFields(fields))).digest('hex');
}

/** Links a new entry to the chain head (undefined for the first record). */
export function chainRecord(entry: AuditEntry, head: { seq: number; hash: string } | undefined, recordedAt: Date): AuditRecord {
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  const unhashed = { ...entry, seq, recordedAt };
  return { ...unhashed, prevHash, hash: recordHash(prevHash, unhashed) };
}

export type BrokenLinkReason = 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap';

export type ChainVerdict =
  | { ok: true; checked: number; headHash: string }
  | { ok: false; checked: number; headHash: string; brokenSeq: number; brokenId: string; reason: BrokenLinkReason };

/**
 * Checks records fed in ascending seq order, one at a time (so a long chain is never held in
 * memory). The first broken link is kept; later records are not looked at.
 */
export class ChainVerifier {
  private checked = 0;
  private last: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH };
  private broken: { seq: number; id: string; reason: BrokenLinkReason } | undefined;

  /** Returns false once a broken link was found (stop feeding). */
  check(record: AuditRecord): boolean {
    if (this.broken) return false;
    this.checked += 1;
    const reason: BrokenLinkReason | undefined =
      record.seq !== this.last.seq + 1
        ? 'seq_gap'
        : record.prevHash !== this.last.hash
          ? 'prev_hash_mismatch'
          : recordHash(record.prevHash, record) !== record.hash
            ? 'hash_mismatch'
            : undefined;
    if (reason) {
      this.broken = { seq: record.seq, id: record.eventId, reason };
      return false;
    }
    this.last = { seq: record.seq, hash: record.hash };
    return true;
  }

  verdict(): ChainVerdict {
    if (this.broken) {
      return { ok: false, checked: this.checked, headHash: this.last.hash, brokenSeq: this.broken.seq, brokenId: this.broken.id, reason: this.broken.reason };
    }
    return { ok: true, checked: this.checked, headHash: this.last.hash };
  }
}
