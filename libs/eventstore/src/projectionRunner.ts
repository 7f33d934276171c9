import { context as otelContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AckPolicy, DeliverPolicy, headers as natsHeaders, nanos, ReplayPolicy } from 'nats';
import type {
  ConsumerConfig,
  ConsumerInfo,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
  MsgHdrs,
  NatsConnection,
} from 'nats';
import type { Registry } from 'prom-client';
import type { EventCodec } from './codec';
import { PoisonEventError, RetryLaterError } from './errors';
import { silentLogger } from './logger';
import type { EventStoreLogger } from './logger';
import { projectionMetrics } from './metrics';
import { deadLetterSubject } from './naming';
import { decodeStoredEvent } from './storedEvent';
import type { StoredEvent } from './storedEvent';
import { apiErrorCode } from './streams';
import { SubjectScheduler } from './subjectScheduler';
import { extractTraceContext } from './traceContext';

const CONSUMER_NOT_FOUND = 10014;

export const DLQ_REASON_HEADER = 'Haven-Dlq-Reason';
export const DLQ_DURABLE_HEADER = 'Haven-Dlq-Durable';
export const DLQ_DELIVERIES_HEADER = 'Haven-Dlq-Deliveries';
export const DLQ_STREAM_HEADER = 'Haven-Dlq-Stream';
export const DLQ_SEQUENCE_HEADER = 'Haven-Dlq-Sequence';
export const DLQ_SUBJECT_HEADER = 'Haven-Dlq-Subject';
export const DLQ_ORIGINAL_MSG_ID_HEADER = 'Haven-Dlq-Original-Msg-Id';

const DURABLE_NAME = /^[A-Za-z0-9_-]{1,100}$/;

export interface ProjectionOptions<E> {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Durable consumer name, shared by every replica of the projection; [A-Za-z0-9_-]. */
  readonly name: string;
  /** Stream name, e.g. 'SESSION'. */
  readonly stream: string;
  /** e.g. ['session.evt.>']. */
  readonly filterSubjects: readonly string[];
  readonly codec: EventCodec<E>;
  /**
   * Applies one event. Resolve = done (acked). Throw RetryLaterError to be redelivered later,
   * PoisonEventError to dead-letter at once; any other error is retried with backoff and
   * dead-lettered on the last allowed delivery.
   */
  readonly handle: (event: StoredEvent<E>) => Promise<void>;
  /** Events handled at the same time (different aggregates only). Default 8. */
  readonly concurrency?: number;
  /** Deliveries before an event whose handler keeps failing is dead-lettered. Default 5. */
  readonly maxDeliver?: number;
  /**
   * Deliveries before an event whose handler keeps throwing RetryLaterError is dead-lettered.
   * Waiting for a predecessor held by a crashed replica takes up to one ack wait, so this budget
   * is larger and its delays grow (from RetryLaterError.delayMs or 250 ms, doubling, up to 10 s).
   * Default 50 (about 7 minutes).
   */
  readonly maxRetryLaterDeliveries?: number;
  /** Default 30 s; the runner extends it while a handler is busy. */
  readonly ackWaitMs?: number;
  /** nak delays in ms by delivery number (1st failure → [0], ...; the last repeats). */
  readonly backoff?: readonly number[];
  readonly logger?: EventStoreLogger;
  /** prom-client registry for the haven_projection_* metrics. */
  readonly registry?: Registry;
  /** Interval of the lag gauge refresh. Default 5 s. */
  readonly lagRefreshMs?: number;
}

export interface RunningProjection {
  /** Stops pulling, returns not-yet-started messages, waits for running handlers to settle. */
  stop(): Promise<void>;
  /** Messages not yet acknowledged (pending + ack pending); also refreshes the lag gauge. */
  lag(): Promise<number>;
}

export const DEFAULT_PROJECTION_BACKOFF_MS: readonly number[] = [1_000, 5_000, 15_000, 30_000];
const MAX_RETRY_LATER_DELAY_MS = 10_000;
const MAX_ACK_WAIT_EXTENSIONS = 10;

function errorMessage(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

// Header values are single lines; keep the reason readable and bounded.
function headerValue(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 512);
}

function sameSubjects(a: readonly string[], b: readonly string[]): boolean {
  return [...a].sort().join('\n') === [...b].sort().join('\n');
}

async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  name: string,
  config: { filterSubjects: readonly string[]; ackWaitMs: number; maxDeliver: number },
): Promise<ConsumerInfo> {
  const wanted = {
    ack_wait: nanos(config.ackWaitMs),
    max_deliver: config.maxDeliver,
    filter_subjects: [...config.filterSubjects],
  };
  let current: ConsumerInfo | undefined;
  try {
    current = await jsm.consumers.info(stream, name);
  } catch (err) {
    if (apiErrorCode(err) !== CONSUMER_NOT_FOUND) throw err;
  }
  if (current === undefined) {
    const created: Partial<ConsumerConfig> = {
      durable_name: name,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      replay_policy: ReplayPolicy.Instant,
      ...wanted,
    };
    return jsm.consumers.add(stream, created);
  }
  const currentSubjects =
    current.config.filter_subjects ?? (current.config.filter_subject ? [current.config.filter_subject] : []);
  if (
    current.config.ack_wait === wanted.ack_wait &&
    current.config.max_deliver === wanted.max_deliver &&
    sameSubjects(currentSubjects, wanted.filter_subjects)
  ) {
    return current;
  }
  return jsm.consumers.update(stream, name, { ...wanted, filter_subject: undefined });
}

/**
 * Runs a projection: a durable pull consumer whose events are handed to `handle` one aggregate
 * (subject) at a time and in order, different aggregates concurrently. Events are acked only
 * after `handle` resolved; failures are retried with backoff; undecodable events, poison events
 * and events out of deliveries go to `dlq.<name>.<subject>` (stream DEADLETTER) and are
 * terminated so that they never block the ones after them.
 */
export async function startProjection<E>(options: ProjectionOptions<E>): Promise<RunningProjection> {
  const { nc, js, jsm, name, stream, codec, handle } = options;
  if (!DURABLE_NAME.test(name)) throw new RangeError(`projection name ${JSON.stringify(name)}: use [A-Za-z0-9_-]`);
  if (options.filterSubjects.length === 0) throw new RangeError(`projection ${name}: filterSubjects is empty`);
  const concurrency = options.concurrency ?? 8;
  const maxDeliver = options.maxDeliver ?? 5;
  const maxRetryLaterDeliveries = options.maxRetryLaterDeliveries ?? 50;
  const ackWaitMs = options.ackWaitMs ?? 30_000;
  const backoff = options.backoff && options.backoff.length > 0 ? options.backoff : DEFAULT_PROJECTION_BACKOFF_MS;
  const logger = options.logger ?? silentLogger;
  const metrics = projectionMetrics(options.registry, name);
  const tracer = trace.getTracer('@haven/eventstore');
  if (maxDeliver < 1 || maxRetryLaterDeliveries < 1) {
    throw new RangeError(`projection ${name}: maxDeliver and maxRetryLaterDeliveries must be >= 1`);
  }
  // The server stops redelivering at max_deliver; the runner dead-letters on the last delivery
  // allowed for the kind of failure, so the server limit is the larger of the two.
  const consumerSettings = {
    filterSubjects: options.filterSubjects,
    ackWaitMs,
    maxDeliver: Math.max(maxDeliver, maxRetryLaterDeliveries),
  };

  await ensureConsumer(jsm, stream, name, consumerSettings);

  let stopping = false;
  let current: ConsumerMessages | undefined;

  // After stop() or a dead connection nothing can be settled; the server redelivers.
  const settle = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (err) {
      logger.debug({ projection: name, err: errorMessage(err) }, `projection: could not ${what}`);
    }
  };

  const nakDelay = (deliveries: number): number => backoff[Math.min(deliveries, backoff.length) - 1] ?? 1_000;
  const retryLaterDelay = (deliveries: number, minimum: number | undefined): number =>
    Math.min(MAX_RETRY_LATER_DELAY_MS, Math.max(minimum ?? 0, 250 * 2 ** Math.min(deliveries - 1, 16)));

  const deadLetter = async (m: JsMsg, reason: string, extra: Record<string, unknown>): Promise<void> => {
    const h: MsgHdrs = natsHeaders();
    for (const key of m.headers?.keys() ?? []) {
      // JetStream control headers (expectations, msg id) must not apply to the DLQ publish.
      if (key.toLowerCase().startsWith('nats-')) continue;
      for (const value of m.headers?.values(key) ?? []) h.append(key, value);
    }
    const originalId = m.headers?.get('Nats-Msg-Id') ?? '';
    if (originalId !== '') h.set(DLQ_ORIGINAL_MSG_ID_HEADER, originalId);
    h.set(DLQ_REASON_HEADER, headerValue(reason));
    h.set(DLQ_DURABLE_HEADER, name);
    h.set(DLQ_DELIVERIES_HEADER, String(m.info.redeliveryCount));
    h.set(DLQ_STREAM_HEADER, m.info.stream);
    h.set(DLQ_SEQUENCE_HEADER, String(m.seq));
    h.set(DLQ_SUBJECT_HEADER, m.subject);
    try {
      // The msg id makes a repeated dead-lettering of the same delivery (crash before term) a no-op.
      await js.publish(deadLetterSubject(name, m.subject), m.data, {
        headers: h,
        msgID: `${name}:${m.info.stream}:${m.seq}`,
      });
    } catch (err) {
      // Never drop an event: leave it to redelivery.
      metrics.count('failed');
      logger.error(
        { projection: name, subject: m.subject, seq: m.seq, err: errorMessage(err), ...extra },
        'projection: dead-lettering failed, message left for redelivery',
      );
      settle('nak', () => m.nak(nakDelay(m.info.redeliveryCount)));
      return;
    }
    settle('term', () => m.term(headerValue(reason)));
    metrics.count('dead_lettered');
    logger.warn(
      { projection: name, subject: m.subject, seq: m.seq, deliveries: m.info.redeliveryCount, reason, ...extra },
      'projection: event dead-lettered',
    );
  };

  const processMessage = async (m: JsMsg): Promise<void> => {
    if (stopping) {
      settle('nak', () => m.nak());
      return;
    }
    let event: StoredEvent<E>;
    try {
      event = decodeStoredEvent(codec, m);
    } catch (err) {
      await deadLetter(m, `decode: ${errorMessage(err)}`, {});
      return;
    }
    const ids = { eventId: event.id, type: event.type, subject: m.subject, seq: m.seq };
    const carrier = m.headers?.has('traceparent') || event.traceparent === undefined ? m.headers : envelopeTraceHeaders(event);
    const parent = extractTraceContext(carrier);
    const span = tracer.startSpan(
      `projection ${name} ${event.type}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': m.subject,
          'messaging.consumer.group.name': name,
          'messaging.message.id': event.id,
          'haven.event.type': event.type,
          'haven.event.version': event.version,
          'haven.projection': name,
        },
      },
      parent,
    );
    // Tell the server we are alive so a slow handler is not redelivered to another replica
    // meanwhile; a handler hanging beyond the cap is given up to redelivery elsewhere.
    const heartbeatStarted = Date.now();
    const heartbeat = setInterval(() => {
      if (Date.now() - heartbeatStarted > ackWaitMs * MAX_ACK_WAIT_EXTENSIONS) {
        clearInterval(heartbeat);
        logger.warn({ projection: name, ...ids }, 'projection: handler hangs, no longer extending its ack wait');
        return;
      }
      settle('extend ack wait', () => m.working());
    }, Math.max(250, ackWaitMs / 3));
    const started = performance.now();
    try {
      await otelContext.with(trace.setSpan(parent, span), () => handle(event));
      metrics.observeHandleSeconds((performance.now() - started) / 1000);
      settle('ack', () => m.ack());
      metrics.count('applied');
      span.setStatus({ code: SpanStatusCode.OK });
    } catch (err) {
      metrics.observeHandleSeconds((performance.now() - started) / 1000);
      if (err instanceof RetryLaterError) {
        span.addEvent('retry later', { reason: err.message });
      } else {
        span.recordException(err instanceof Error ? err : new Error(String(err)));
        span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
      }
      const deliveries = m.info.redeliveryCount;
      if (err instanceof PoisonEventError) {
        await deadLetter(m, `poison: ${errorMessage(err)}`, ids);
      } else if (err instanceof RetryLaterError) {
        if (deliveries >= maxRetryLaterDeliveries) {
          await deadLetter(m, `still waiting after ${deliveries} deliveries: ${errorMessage(err)}`, ids);
        } else {
          // Not a failure: the event waits (e.g. for its predecessor); no failed count, debug log.
          const delay = retryLaterDelay(deliveries, err.delayMs);
          settle('nak', () => m.nak(delay));
          logger.debug({ projection: name, ...ids, deliveries, delayMs: delay, err: errorMessage(err) }, 'projection: event waits');
        }
      } else if (deliveries >= maxDeliver) {
        await deadLetter(m, `max deliveries (${maxDeliver}) reached: ${errorMessage(err)}`, ids);
      } else {
        const delay = nakDelay(deliveries);
        settle('nak', () => m.nak(delay));
        metrics.count('failed');
        logger.warn({ projection: name, ...ids, deliveries, delayMs: delay, err: errorMessage(err) }, 'projection: event will be retried');
      }
    } finally {
      clearInterval(heartbeat);
      span.end();
    }
  };

  const scheduler = new SubjectScheduler<JsMsg>(concurrency, concurrency * 4, processMessage);

  const watchStatus = async (messages: ConsumerMessages): Promise<void> => {
    for await (const s of await messages.status()) {
      logger.debug({ projection: name, status: s.type, data: s.data }, 'projection: consumer status');
    }
  };

  const consumeLoop = async (): Promise<void> => {
    let firstRound = true;
    while (!stopping && !nc.isClosed()) {
      try {
        if (!firstRound) await ensureConsumer(jsm, stream, name, consumerSettings);
        firstRound = false;
        const consumer = await js.consumers.get(stream, name);
        const messages = await consumer.consume({ max_messages: Math.min(256, concurrency * 4) });
        current = messages;
        watchStatus(messages).catch(() => undefined);
        for await (const m of messages) {
          if (stopping) {
            settle('nak', () => m.nak());
            continue;
          }
          scheduler.push(m.subject, m);
          // Backpressure: the next pull request is only issued when we take the next message.
          await scheduler.whenCapacity();
        }
      } catch (err) {
        if (stopping || nc.isClosed()) break;
        logger.warn({ projection: name, err: errorMessage(err) }, 'projection: consumer failed, restarting');
      }
      if (stopping || nc.isClosed()) break;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  };

  const lag = async (): Promise<number> => {
    const info = await jsm.consumers.info(stream, name);
    const value = info.num_pending + info.num_ack_pending;
    metrics.setLag(value);
    return value;
  };

  const lagTimer = setInterval(() => {
    if (nc.isClosed()) return;
    lag().catch((err: unknown) => logger.debug({ projection: name, err: errorMessage(err) }, 'projection: lag refresh failed'));
  }, options.lagRefreshMs ?? 5_000);
  lagTimer.unref();
  lag().catch(() => undefined);

  const loop = consumeLoop();
  logger.info({ projection: name, stream, filterSubjects: options.filterSubjects }, 'projection started');

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      clearInterval(lagTimer);
      current?.stop();
      // Not started yet: hand back at once, so another replica can take them.
      for (const m of scheduler.takeQueued()) settle('nak', () => m.nak());
      await loop;
      await scheduler.whenIdle();
      logger.info({ projection: name }, 'projection stopped');
    })();
    return stopped;
  };

  return { stop, lag };
}

function envelopeTraceHeaders(event: { traceparent?: string; tracestate?: string }): MsgHdrs {
  const h = natsHeaders();
  if (event.traceparent !== undefined) h.set('traceparent', event.traceparent);
  if (event.tracestate !== undefined) h.set('tracestate', event.tracestate);
  return h;
}
