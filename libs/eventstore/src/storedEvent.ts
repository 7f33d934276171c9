import { eventsV1 } from '@haven/proto';
import type { EventCodec } from './codec';
import { EventDecodeError } from './errors';

/** One event as the store holds it. */
export interface StoredEvent<E> {
  readonly id: string;
  /** Full envelope type, e.g. `identity.UserRegistered`. */
  readonly type: string;
  readonly aggregateId: string;
  /** Per-aggregate version, 1 for the first event. */
  readonly version: number;
  /** JetStream stream sequence. */
  readonly sequence: number;
  readonly occurredAt: Date;
  readonly actor: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly event: E;
}

export interface EnvelopeFields {
  readonly id: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly occurredAt: Date;
  readonly actor: string;
  readonly correlationId: string;
  readonly causationId: string;
  readonly traceparent: string;
  readonly tracestate: string;
}

export function envelopeType<E>(codec: EventCodec<E>, event: E): string {
  return `${codec.context}.${codec.typeOf(event)}`;
}

export function encodeEnvelope<E>(codec: EventCodec<E>, event: E, fields: EnvelopeFields): Uint8Array {
  const envelope: eventsV1.EventEnvelope = {
    id: fields.id,
    type: envelopeType(codec, event),
    context: codec.context,
    aggregateId: fields.aggregateId,
    version: fields.version,
    occurredAt: fields.occurredAt,
    actor: fields.actor,
    correlationId: fields.correlationId,
    causationId: fields.causationId,
    traceparent: fields.traceparent,
    tracestate: fields.tracestate,
    payloadType: codec.payloadType,
    payload: Buffer.from(codec.encode(event)),
    schemaVersion: codec.schemaVersion,
  };
  return eventsV1.EventEnvelope.encode(envelope).finish();
}

/**
 * Turns a stored message back into a StoredEvent. Throws EventDecodeError for anything that is
 * not an envelope of this codec's context on this aggregate's subject.
 */
export function decodeStoredEvent<E>(
  codec: EventCodec<E>,
  message: { readonly subject: string; readonly seq: number; readonly data: Uint8Array },
): StoredEvent<E> {
  let envelope: eventsV1.EventEnvelope;
  try {
    envelope = eventsV1.EventEnvelope.decode(message.data);
  } catch (cause) {
    throw new EventDecodeError(`message ${message.seq} on ${message.subject} is not an EventEnvelope`, { cause });
  }
  if (envelope.context !== codec.context) {
    throw new EventDecodeError(
      `message ${message.seq} on ${message.subject} belongs to context ${JSON.stringify(envelope.context)}, not ${codec.context}`,
    );
  }
  const expectedSubject = `${codec.context}.evt.${envelope.aggregateId}`;
  if (message.subject !== expectedSubject) {
    throw new EventDecodeError(
      `message ${message.seq} on ${message.subject} carries aggregate ${JSON.stringify(envelope.aggregateId)}`,
    );
  }
  if (envelope.id === '' || envelope.version < 1 || envelope.occurredAt === undefined) {
    throw new EventDecodeError(`message ${message.seq} on ${message.subject} lacks id, version or occurredAt`);
  }
  const event = codec.decode(envelope.payload, {
    type: envelope.type,
    payloadType: envelope.payloadType,
    schemaVersion: envelope.schemaVersion,
  });
  const decodedType = envelopeType(codec, event);
  if (decodedType !== envelope.type) {
    throw new EventDecodeError(
      `message ${message.seq} on ${message.subject}: envelope says ${envelope.type}, payload is ${decodedType}`,
    );
  }
  return {
    id: envelope.id,
    type: envelope.type,
    aggregateId: envelope.aggregateId,
    version: envelope.version,
    sequence: message.seq,
    occurredAt: envelope.occurredAt,
    actor: envelope.actor,
    correlationId: envelope.correlationId,
    causationId: envelope.causationId,
    ...(envelope.traceparent === '' ? {} : { traceparent: envelope.traceparent }),
    ...(envelope.tracestate === '' ? {} : { tracestate: envelope.tracestate }),
    event,
  };
}
