import { createHash } from 'node:crypto';
import { auditEntryFor } from '../domain/classification';
import type { ConsumedEvent, EventMeta } from '../domain/consumed-events';
import { funnelFactsFor } from '../domain/funnels';
import { signalsFor, thresholdsToFlag, type FlagSeverity, type Signal } from '../domain/suspicious-activity';
import type { AuditChainPort, AuditMetricsPort, EventLogPort, FunnelFactsPort, SlidingWindowsPort, SuspiciousFlag, SuspiciousFlagsPort } from './ports';

export interface AuditConsumerPorts {
  chain: AuditChainPort;
  eventLog: EventLogPort;
  funnels: FunnelFactsPort;
  windows: SlidingWindowsPort;
  flags: SuspiciousFlagsPort;
  metrics: AuditMetricsPort;
}

/**
 * Flag ids are derived from what triggered them, so a redelivered trigger produces the same id
 * (the publish is de-duplicated and the stored flag is not written twice).
 */
export function flagIdFor(kind: string, severity: FlagSeverity, subject: string, triggerEventId: string): string {
  const hex = createHash('sha256').update(`${kind}\n${severity}\n${subject}\n${triggerEventId}`).digest('hex');
  return `flag-${hex.slice(0, 32)}`;
}

/**
 * Handles one consumed event: counts it, appends an audit record when it is security-relevant,
 * records funnel steps, and feeds the suspicious-activity windows. Every step is idempotent, so a
 * redelivery after a crash half-way completes the work without doubling anything.
 */
export function auditConsumer(ports: AuditConsumerPorts) {
  const detect = async (signal: Signal, meta: EventMeta): Promise<void> => {
    const { rule, subject } = signal;
    const atMs = meta.occurredAt.getTime();
    const count = await ports.windows.observe(rule.kind, subject, meta.id, atMs, rule.windowMs);
    const crossed = rule.thresholds.filter((t) => count >= t.count).map((t) => t.severity);
    if (crossed.length === 0) return;
    const until = await ports.windows.flaggedUntil(rule.kind, subject, crossed);
    for (const severity of thresholdsToFlag(rule, count, atMs, until)) {
      const flag: SuspiciousFlag = {
        id: flagIdFor(rule.kind, severity, subject, meta.id),
        kind: rule.kind,
        subject,
        severity,
        count,
        windowSeconds: Math.round(rule.windowMs / 1000),
        triggerEventId: meta.id,
        at: meta.occurredAt,
      };
      await ports.flags.publish(flag);
      if (await ports.flags.store(flag)) ports.metrics.flagRaised(rule.kind, severity);
      await ports.windows.markFlagged(rule.kind, severity, subject, atMs + rule.windowMs, rule.windowMs);
    }
  };

  return async (event: ConsumedEvent, meta: EventMeta): Promise<void> => {
    await ports.eventLog.add(meta);

    const entry = auditEntryFor(event, meta);
    if (entry && (await ports.chain.append(entry)) === 'appended') ports.metrics.recordAppended(meta.type);

    const owner = event.type === 'session.SessionEnded' ? await ports.funnels.sessionOwner(event.data.sessionId) : undefined;
    for (const fact of funnelFactsFor(event, owner)) {
      if (await ports.funnels.add(fact, meta.occurredAt)) ports.metrics.funnelStep(fact.funnel, fact.step);
    }

    for (const signal of signalsFor(event, meta)) await detect(signal, meta);
  };
}
