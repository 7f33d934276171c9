import { PoisonEventError, startProjection, type RunningProjection, type StoredEvent } from '@haven/eventstore';
import type { Logger } from '@haven/platform';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import type { Clock } from '../application/ports';
import type { SafetyEvent } from '../domain/events';
import { safetyCodec } from './codec';

export const CRISIS_WEBHOOK_CONSUMER = 'safety-crisis-webhook';

export interface CrisisWebhookOptions {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  url: string;
  logger: Logger;
  clock: Clock;
  registry?: Registry;
  /** Durable consumer name; default CRISIS_WEBHOOK_CONSUMER. */
  name?: string;
  /** Delay before each redelivery after a failed POST (the last repeats). */
  backoffMs?: readonly number[];
  /** POST attempts per alert. */
  maxAttempts?: number;
  timeoutMs?: number;
  /** Alerts older than this are not announced (e.g. when the webhook is configured later). */
  maxAgeMs?: number;
}

/** The payload: identifiers, severity and signals only — never message content. */
export interface CrisisWebhookPayload {
  alertId: string;
  sessionId: string;
  severity: string;
  signals: string[];
  raisedAt: string;
}

/**
 * Calls CRISIS_WEBHOOK_URL for each raised alert from a durable JetStream consumer: off the
 * Assess path, shared by replicas (one call per alert), retried with backoff, bounded attempts,
 * survives restarts. 4xx answers other than 408/429 are not retried (dead-lettered).
 */
export function startCrisisWebhook(o: CrisisWebhookOptions): Promise<RunningProjection> {
  const timeoutMs = o.timeoutMs ?? 5_000;
  const maxAgeMs = o.maxAgeMs ?? 15 * 60_000;
  const handle = async (e: StoredEvent<SafetyEvent>): Promise<void> => {
    if (e.event.type !== 'CrisisAlertRaised') return;
    const d = e.event.data;
    if (o.clock.now().getTime() - d.raisedAt.getTime() > maxAgeMs) {
      o.logger.warn({ alertId: d.alertId }, 'crisis webhook: alert too old to announce; skipped');
      return;
    }
    const payload: CrisisWebhookPayload = { alertId: d.alertId, sessionId: d.sessionId, severity: d.severity, signals: d.signals, raisedAt: d.raisedAt.toISOString() };
    const res = await fetch(o.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': d.alertId },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
    if (res.ok) {
      o.logger.info({ alertId: d.alertId, status: res.status }, 'crisis webhook delivered');
      return;
    }
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
      throw new PoisonEventError(`crisis webhook refused alert ${d.alertId} with ${res.status}`);
    }
    o.logger.warn({ alertId: d.alertId, status: res.status }, 'crisis webhook failed; will retry');
    throw new Error(`crisis webhook answered ${res.status}`);
  };
  return startProjection({
    nc: o.nc,
    js: o.js,
    jsm: o.jsm,
    name: o.name ?? CRISIS_WEBHOOK_CONSUMER,
    stream: 'SAFETY',
    filterSubjects: ['safety.evt.>'],
    codec: safetyCodec,
    handle,
    maxDeliver: o.maxAttempts ?? 6,
    backoff: o.backoffMs ?? [1_000, 5_000, 15_000, 30_000, 60_000],
    logger: o.logger,
    ...(o.registry ? { registry: o.registry } : {}),
  });
}
