// @haven/eventstore — the event store on NATS JetStream (see docs/adr/0001-event-store-on-jetstream.md).
export type { DomainEvent, EventCodec, EnvelopeTypeInfo, OneofCodecOptions, OneofDomainEvent, ProtoMessageFns } from './codec';
export { mapCodec, oneofCodec } from './codec';
export type { Decider, HandleCommandOptions, HandledCommand } from './commandHandling';
export { handleCommand } from './commandHandling';
export {
  EventDecodeError,
  EventIdCollisionError,
  InvalidAggregateIdError,
  InvalidContextError,
  PoisonEventError,
  RetryLaterError,
  WrongExpectedVersionError,
} from './errors';
export type { EventIdGenerator } from './eventIds';
export { createUuidV7Generator } from './eventIds';
export type { AppendedEvents, AppendMeta, EventStoreOptions, EventStorePort, LoadedEvents } from './eventStore';
export { EVENT_TYPE_HEADER, EventStore } from './eventStore';
export type { EventStoreLogger } from './logger';
export {
  METRIC_APPENDS,
  METRIC_PROJECTION_EVENTS,
  METRIC_PROJECTION_HANDLE_SECONDS,
  METRIC_PROJECTION_LAG,
} from './metrics';
export type { ConnectNatsOptions } from './natsConnection';
export { connectNats } from './natsConnection';
export {
  aggregateSubject,
  assertValidAggregateId,
  contextSubjects,
  DEAD_LETTER_STREAM,
  deadLetterSubject,
  streamNameFor,
} from './naming';
export type { StreamPosition } from './position';
export { NEW_AGGREGATE } from './position';
export type { ProjectionOptions, RunningProjection } from './projectionRunner';
export {
  DLQ_DELIVERIES_HEADER,
  DLQ_DURABLE_HEADER,
  DLQ_ORIGINAL_MSG_ID_HEADER,
  DLQ_REASON_HEADER,
  DLQ_SEQUENCE_HEADER,
  DLQ_STREAM_HEADER,
  DLQ_SUBJECT_HEADER,
  startProjection,
} from './projectionRunner';
export type { StoredEvent } from './storedEvent';
export type { EnsureStreamsOptions } from './streams';
export { DEFAULT_DUPLICATE_WINDOW_MS, ensureStreams } from './streams';
export { extractTraceContext, traceHeaders } from './traceContext';
export type { VersionedApplyResult, VersionedDocument } from './versionGuard';
export { applyVersioned } from './versionGuard';
export type { ErasureConsumerOptions, MemoryFact } from './erasure';
export { ErasedUsers, memoryFactCodec, skipErasedEvents, startErasureConsumer, userIdInData } from './erasure';
