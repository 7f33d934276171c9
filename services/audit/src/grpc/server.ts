import type { ServiceHandlers } from '@haven/platform';
import type { auditV1 } from '@haven/proto';
import type { Collection } from 'mongodb';
import { verifyChain, type AuditRecordDoc } from '../infrastructure/audit-chain';
import { funnels, listSuspicious, queryRecords, statistics } from '../infrastructure/audit-queries';
import type { AuditCollections, SuspiciousDoc } from '../infrastructure/read-models';

export function recordToProto(r: AuditRecordDoc): auditV1.AuditRecord {
  return {
    id: r.eventId,
    seq: r.seq,
    eventType: r.eventType,
    actor: r.actor,
    ip: r.ip,
    severity: r.severity,
    result: r.result,
    at: r.at,
    hash: r.hash,
    prevHash: r.prevHash,
    aggregateId: r.aggregateId,
    context: r.context,
    category: r.category,
    subjectUserId: r.subjectUserId,
    details: { ...r.details },
    recordedAt: r.recordedAt,
  };
}

export function flagToProto(f: SuspiciousDoc): auditV1.SuspiciousFlag {
  return { id: f._id, kind: f.kind, subject: f.subject, severity: f.severity, count: f.count, windowSeconds: f.windowSeconds, triggerEventId: f.triggerEventId, at: f.at };
}

export function auditGrpcHandlers(deps: { records: Collection<AuditRecordDoc>; collections: AuditCollections }): ServiceHandlers<typeof auditV1.AuditServiceService> {
  const { records, collections } = deps;
  return {
    async queryAudit(req) {
      const page = await queryRecords(records, { eventType: req.eventType, actor: req.actor, limit: req.limit, cursor: req.cursor });
      return { records: page.items.map(recordToProto), nextCursor: page.nextCursor };
    },
    async verifyChain() {
      const v = await verifyChain(records);
      return v.ok
        ? { ok: true, recordsChecked: v.checked, firstBrokenSeq: 0, firstBrokenId: '', reason: '', headHash: v.headHash }
        : { ok: false, recordsChecked: v.checked, firstBrokenSeq: v.brokenSeq, firstBrokenId: v.brokenId, reason: v.reason, headHash: v.headHash };
    },
    async statistics() {
      const s = await statistics(collections, records);
      return { counts: s.counts, totalEvents: s.totalEvents, auditRecords: s.auditRecords, suspiciousFlags: s.suspiciousFlags };
    },
    async listSuspicious(req) {
      const page = await listSuspicious(collections.suspicious, { kind: req.kind, limit: req.limit, cursor: req.cursor });
      return { flags: page.items.map(flagToProto), nextCursor: page.nextCursor };
    },
    async funnels() {
      return { funnels: await funnels(collections) };
    },
  };
}
