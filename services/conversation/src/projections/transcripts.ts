import { applyVersioned, RetryLaterError, type StoredEvent } from '@haven/eventstore';
import type { Collection } from 'mongodb';
import { messageOf, type StoredMessage } from '../application/transcriptView';
import type { ConversationEvent, StoredSummary } from '../domain/transcript';

export const TRANSCRIPTS_COLLECTION = 'transcripts';
export const TRANSCRIPTS_DURABLE = 'conversation-transcripts';

/** Read model of one session's transcript (content sealed as in the events; '' when incognito). */
export interface TranscriptDoc {
  _id: string;
  userId?: string;
  personaId?: string;
  incognito?: boolean;
  startedAt?: Date;
  messages: StoredMessage[];
  summary?: StoredSummary;
  version: number;
}

function updateFor(e: StoredEvent<ConversationEvent>): Record<string, unknown> {
  const ev = e.event;
  switch (ev.type) {
    case 'MessagePosted':
      return {
        $push: { messages: messageOf(e) },
        // Only the first message creates the document; the session's owner, persona and incognito flag never change.
        $setOnInsert: { userId: ev.data.userId, personaId: ev.data.personaId, incognito: ev.data.incognito, startedAt: e.occurredAt },
      };
    case 'AiReplyCompleted':
    case 'CrisisProtocolSent':
      return { $push: { messages: messageOf(e) } };
    case 'SummaryGenerated': {
      const { sessionId: _sessionId, ...summary } = ev.data;
      return { $set: { summary: { ...summary, createdAt: e.occurredAt } }, $setOnInsert: { messages: [] } };
    }
    default: {
      const never: never = ev;
      return never;
    }
  }
}

/** Projection handler: one document per session, applied in order by the version guard. */
export function transcriptsProjection(transcripts: Collection<TranscriptDoc>) {
  return async (e: StoredEvent<ConversationEvent>): Promise<void> => {
    const result = await applyVersioned(transcripts, e.aggregateId, e.version, updateFor(e));
    if (result === 'gap') throw new RetryLaterError(`transcripts: ${e.aggregateId} v${e.version} arrived before its predecessor`);
  };
}
