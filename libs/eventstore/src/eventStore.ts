import { context as otelContext } from '@opentelemetry/api';
import { ErrorCode, headers as natsHeaders } from 'nats';
import type { JetStreamClient, JetStreamManager, MsgHdrs, StoredMsg } from 'nats';
import type { Registry } from 'prom-client';
import { jitteredBackoff } from './backoff';
import type { EventCodec } from './codec';
import { EventIdCollisionError, EventDecodeError, WrongExpectedVersionError } from './errors';
import { createUuidV7Generator } from './eventIds';
import type { EventIdGenerator } from './eventIds';
import { silentLogger } from './logger';
import type { EventStoreLogger } from './logger';
import { appendMetrics } from './metrics';
import type { AppendMetrics } from './metrics';
import { aggregateSubject, assertValidContext, streamNameFor } from './naming';
import { NEW_AGGREGATE } from './position';
import type { StreamPosition } from './position';
import { decodeStoredEvent, encodeEnvelope, envelopeType } from './storedEvent';
import type { StoredEvent } from './storedEvent';
import { apiErrorCode } from './streams';
import { traceHeaders } from './traceContext';

// JetStream API error code for a failed Nats-Expected-Last-Subject-Sequence check.
const WRONG_LAST_SEQUENCE = 10071;

export const EVENT_TYPE_HEADER = 'Haven-Event-Type';

export interface AppendMeta {
  /** Who caused the events: a user id, "system", or a service name. */
  readonly actor: string;
  /** When the events occurred (the command's time, passed in). */
  readonly now: Date;
  /** Defaults to the id of the first appended event. */
  readonly correlationId?: string;
  readonly causationId?: string;
  /**
   * Ids for the events, by position. Pass them when the command may be retried by its caller, so a
   * re-publish is recognised as duplicate; missing ones come from idGenerator.
   */
  readonly eventIds?: readonly string[];
  /** Defaults to a UUIDv7 generator owned by the store. */
  readonly idGenerator?: EventIdGenerator;
  /** W3C trace context used when no span is active (e.g. taken from an incoming message). */
  readonly traceparent?: string;
  readonly tracestate?: string;
}

export interface LoadedEvents<E> {
  readonly events: StoredEvent<E>[];
  readonly position: StreamPosition;
}

export interface AppendedEvents<E> {
  /** The position after the last of these events. */
  readonly position: StreamPosition;
  /** The events as stored; for duplicates, as they were stored the first time. */
  readonly events: StoredEvent<E>[];
  /** True when at least one event was already stored (same id within the duplicate window). */
  readonly duplicate: boolean;
}

/** The port command handlers depend on; EventStore implements it, tests pass fakes. */
export interface EventStorePort<E> {
  load(aggregateId: string): Promise<LoadedEvents<E>>;
  append(
    aggregateId: string,
    expected: StreamPosition | 'any',
    events: readonly E[],
    meta: AppendMeta,
  ): Promise<AppendedEvents<E>>;
}

export interface EventStoreOptions<E> {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Bounded context, e.g. 'identity'; must be the codec's context. */
  readonly context: string;
  readonly codec: EventCodec<E>;
  readonly logger?: EventStoreLogger;
  /** prom-client registry for haven_eventstore_appends_total. */
  readonly metrics?: Registry;
  /** Upper bound for reading one aggregate's history. Default 30 s. */
  readonly loadTimeoutMs?: number;
  /** Attempts for appends with expectation 'any' before giving up. Default 10. */
  readonly anyAppendAttempts?: number;
}

// JetStream API error code for "no message found" (message get by subject or sequence).
const NO_MESSAGE_FOUND = 10037;

function isNoMessage(err: unknown): boolean {
  if (apiErrorCode(err) === NO_MESSAGE_FOUND) return true;
  return typeof err === 'object' && err !== null && 'code' in err && err.code === ErrorCode.JetStream404NoMessages;
}

function actualSequenceOf(err: unknown): number | undefined {
  if (!(err instanceof Error)) return undefined;
  const match = /wrong last sequence:\s*(\d+)/i.exec(err.message);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * The event store of one bounded context on its JetStream stream: one subject per aggregate,
 * optimistic concurrency on the subject's last sequence, Nats-Msg-Id = event id.
 */
export class EventStore<E> implements EventStorePort<E> {
  readonly stream: string;
  private readonly js: JetStreamClient;
  private readonly jsm: JetStreamManager;
  private readonly context: string;
  private readonly codec: EventCodec<E>;
  private readonly logger: EventStoreLogger;
  private readonly metrics: AppendMetrics;
  private readonly defaultIds: EventIdGenerator = createUuidV7Generator();
  private readonly loadTimeoutMs: number;
  private readonly anyAppendAttempts: number;

  constructor(options: EventStoreOptions<E>) {
    assertValidContext(options.context);
    if (options.codec.context !== options.context) {
      throw new Error(`EventStore: codec is for context ${options.codec.context}, store for ${options.context}`);
    }
    this.js = options.js;
    this.jsm = options.jsm;
    this.context = options.context;
    this.codec = options.codec;
    this.stream = streamNameFor(options.context);
    this.logger = options.logger ?? silentLogger;
    this.metrics = appendMetrics(options.metrics);
    this.loadTimeoutMs = options.loadTimeoutMs ?? 30_000;
    this.anyAppendAttempts = options.anyAppendAttempts ?? 10;
  }

  /** The aggregate's history in order, and its position (`{0,0}` when it has none). */
  async load(aggregateId: string): Promise<LoadedEvents<E>> {
    const subject = aggregateSubject(this.context, aggregateId);
    // Cheap existence check; new aggregates (the common case for creation commands) need no consumer.
    if ((await this.lastMessage(subject)) === undefined) return { events: [], position: NEW_AGGREGATE };

    const consumer = await this.js.consumers.get(this.stream, { filterSubjects: [subject] });
    const events: StoredEvent<E>[] = [];
    let complete = false;
    try {
      const messages = await consumer.consume({ max_messages: 512, expires: Math.min(this.loadTimeoutMs, 30_000) });
      const timer = setTimeout(() => messages.stop(), this.loadTimeoutMs);
      try {
        for await (const m of messages) {
          events.push(decodeStoredEvent(this.codec, m));
          if (m.info.pending === 0) {
            complete = true;
            break;
          }
        }
      } finally {
        clearTimeout(timer);
        messages.stop();
      }
    } finally {
      // The ordered consumer is ephemeral; remove it now instead of after its inactivity timeout.
      consumer.delete().catch(() => undefined);
    }
    if (!complete) {
      throw new Error(`load ${this.context}/${aggregateId}: history not read completely within ${this.loadTimeoutMs} ms`);
    }
    events.forEach((e, i) => {
      if (e.version !== i + 1) {
        throw new EventDecodeError(
          `aggregate ${this.context}/${aggregateId} is corrupt: event ${e.id} at sequence ${e.sequence} has version ${e.version}, expected ${i + 1}`,
        );
      }
    });
    const last = events[events.length - 1];
    return { events, position: last === undefined ? NEW_AGGREGATE : { version: last.version, sequence: last.sequence } };
  }

  /**
   * Appends events after `expected` (or after whatever is there, for 'any'). Rejects with
   * WrongExpectedVersionError when the aggregate moved on.
   */
  async append(
    aggregateId: string,
    expected: StreamPosition | 'any',
    events: readonly E[],
    meta: AppendMeta,
  ): Promise<AppendedEvents<E>> {
    const subject = aggregateSubject(this.context, aggregateId);
    if (events.length === 0) {
      return { position: expected === 'any' ? await this.head(subject) : expected, events: [], duplicate: false };
    }
    if (expected !== 'any') {
      this.assertPosition(expected);
      return this.publishChain(aggregateId, subject, expected, expected, events, meta);
    }
    // No expectation from the caller, but versions must still be exact: read the head and
    // publish against it; a concurrent writer makes us re-read.
    for (let attempt = 1; ; attempt += 1) {
      const head = await this.head(subject);
      try {
        return await this.publishChain(aggregateId, subject, 'any', head, events, meta);
      } catch (err) {
        if (!(err instanceof WrongExpectedVersionError) || err.appendedBeforeConflict > 0) throw err;
        if (attempt >= this.anyAppendAttempts) throw err;
        this.logger.debug({ context: this.context, aggregateId, attempt }, 'append any: concurrent writer, retrying');
        await jitteredBackoff(attempt);
      }
    }
  }

  private assertPosition(p: StreamPosition): void {
    const ok =
      Number.isSafeInteger(p.version) &&
      Number.isSafeInteger(p.sequence) &&
      p.version >= 0 &&
      p.sequence >= 0 &&
      (p.version === 0) === (p.sequence === 0);
    if (!ok) throw new RangeError(`invalid expected position ${JSON.stringify(p)}`);
  }

  // A message get answered by the stream leader: never stale, unlike a direct get that a lagging
  // follower may serve.
  private async lastMessage(subject: string): Promise<StoredMsg | undefined> {
    try {
      return await this.jsm.streams.getMessage(this.stream, { last_by_subj: subject });
    } catch (err) {
      if (isNoMessage(err)) return undefined;
      throw err;
    }
  }

  private async head(subject: string): Promise<StreamPosition> {
    const last = await this.lastMessage(subject);
    if (last === undefined) return NEW_AGGREGATE;
    const stored = decodeStoredEvent(this.codec, last);
    return { version: stored.version, sequence: last.seq };
  }

  private messageHeaders(event: E, meta: AppendMeta): { headers: MsgHdrs; traceparent: string; tracestate: string } {
    const headers = traceHeaders(otelContext.active(), natsHeaders());
    if (!headers.has('traceparent') && meta.traceparent !== undefined && meta.traceparent !== '') {
      headers.set('traceparent', meta.traceparent);
      if (meta.tracestate !== undefined && meta.tracestate !== '') headers.set('tracestate', meta.tracestate);
    }
    headers.set(EVENT_TYPE_HEADER, envelopeType(this.codec, event));
    return { headers, traceparent: headers.get('traceparent'), tracestate: headers.get('tracestate') };
  }

  private async publishChain(
    aggregateId: string,
    subject: string,
    expected: StreamPosition | 'any',
    base: StreamPosition,
    events: readonly E[],
    meta: AppendMeta,
  ): Promise<AppendedEvents<E>> {
    const ids = events.map((_, i) => meta.eventIds?.[i] ?? (meta.idGenerator ?? this.defaultIds)(meta.now));
    const correlationId = meta.correlationId ?? ids[0] ?? '';
    const stored: StoredEvent<E>[] = [];
    let position = base;
    let duplicate = false;
    for (const [i, event] of events.entries()) {
      const id = ids[i] ?? '';
      const { headers, traceparent, tracestate } = this.messageHeaders(event, meta);
      const fields = {
        id,
        aggregateId,
        version: position.version + 1,
        occurredAt: meta.now,
        actor: meta.actor,
        correlationId,
        causationId: meta.causationId ?? '',
        traceparent,
        tracestate,
      };
      const data = encodeEnvelope(this.codec, event, fields);
      let ack;
      try {
        ack = await this.js.publish(subject, data, {
          msgID: id,
          headers,
          expect: { lastSubjectSequence: position.sequence },
        });
      } catch (err) {
        if (apiErrorCode(err) === WRONG_LAST_SEQUENCE) {
          this.metrics.count(this.context, 'conflict');
          throw new WrongExpectedVersionError(aggregateId, expected, actualSequenceOf(err), i);
        }
        throw err;
      }
      if (ack.duplicate) {
        // Stored before (a retried append): report it as it was stored the first time.
        duplicate = true;
        const original = await this.jsm.streams.getMessage(this.stream, { seq: ack.seq });
        if (original.subject !== subject) throw new EventIdCollisionError(id, aggregateId, original.subject);
        const first = decodeStoredEvent(this.codec, original);
        stored.push(first);
        position = { version: first.version, sequence: ack.seq };
      } else {
        stored.push({
          id,
          type: envelopeType(this.codec, event),
          aggregateId,
          version: fields.version,
          sequence: ack.seq,
          occurredAt: meta.now,
          actor: meta.actor,
          correlationId,
          causationId: fields.causationId,
          ...(traceparent === '' ? {} : { traceparent }),
          ...(tracestate === '' ? {} : { tracestate }),
          event,
        });
        position = { version: fields.version, sequence: ack.seq };
      }
    }
    this.metrics.count(this.context, duplicate ? 'duplicate' : 'ok');
    if (duplicate) {
      this.logger.info({ context: this.context, aggregateId, eventIds: ids }, 'append: events already stored (duplicate)');
    }
    return { position, events: stored, duplicate };
  }
}
