import { mapCodec, oneofCodec, type EventCodec } from '@haven/eventstore';
import { conversationV1, sessionV1 } from '@haven/proto';
import type { ConversationEvent } from '../domain/transcript';

const wire = oneofCodec('conversation', conversationV1.ConversationEvent);

/**
 * conversation.* events: the domain types mirror the protobuf payloads field by field (plain
 * strings and numbers, no enums), so the mapping is the identity; it stays here so a future
 * divergence has one place to go.
 */
export const conversationCodec: EventCodec<ConversationEvent> = mapCodec(
  wire,
  (e: ConversationEvent) => e,
  (e) => e as ConversationEvent,
);

/** session.* events, read by the summary consumer (SessionEnded). */
export const sessionEventsCodec = oneofCodec('session', sessionV1.SessionEvent);
