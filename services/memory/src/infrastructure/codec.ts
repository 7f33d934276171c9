import { mapCodec, oneofCodec, type EventCodec } from '@haven/eventstore';
import { memoryV1 } from '@haven/proto';
import type { MemoryEvent } from '../domain/events';

/** memory.* events: haven.memory.v1.MemoryEvent on the wire; the domain types have the same shape. */
export const memoryCodec: EventCodec<MemoryEvent> = mapCodec(
  oneofCodec('memory', memoryV1.MemoryEvent),
  (event: MemoryEvent) => event,
  (wire) => wire,
);
