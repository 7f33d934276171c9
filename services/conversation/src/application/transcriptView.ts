import type { StoredEvent } from '@haven/eventstore';
import type { ConversationEvent } from '../domain/transcript';

export type Speaker = 'user' | 'ai' | 'system';

/** One message of the transcript as stored (content still sealed by the ContentCipher). */
export interface StoredMessage {
  id: string;
  sessionId: string;
  speaker: Speaker;
  /** Ciphertext; '' for incognito sessions. */
  content: string;
  keyId: string;
  createdAt: Date;
  clientMessageId: string;
  sentiment: number;
  safetyLevel: string;
  model: string;
  offline: boolean;
  inReplyTo: string;
  /** The phase an AI reply was written in. */
  phase: string;
  incognito: boolean;
}

export const CRISIS_PROTOCOL_MODEL = 'crisis-protocol';

/** The message an event adds to the transcript, if any (summaries add none). */
export function messageOf(e: StoredEvent<ConversationEvent>, incognito = false): StoredMessage | undefined {
  const base = { createdAt: e.occurredAt, clientMessageId: '', sentiment: 0, safetyLevel: '', model: '', offline: false, inReplyTo: '', phase: '', incognito };
  const ev = e.event;
  switch (ev.type) {
    case 'MessagePosted':
      return {
        ...base,
        id: ev.data.messageId,
        sessionId: ev.data.sessionId,
        speaker: 'user',
        content: ev.data.content,
        keyId: ev.data.keyId,
        clientMessageId: ev.data.clientMessageId,
        sentiment: ev.data.sentiment,
        safetyLevel: ev.data.safetyLevel,
        incognito: ev.data.incognito,
      };
    case 'AiReplyCompleted':
      return {
        ...base,
        id: ev.data.messageId,
        sessionId: ev.data.sessionId,
        speaker: 'ai',
        content: ev.data.content,
        keyId: ev.data.keyId,
        model: ev.data.model,
        offline: ev.data.offline,
        inReplyTo: ev.data.inReplyTo,
        phase: ev.data.phase,
      };
    case 'CrisisProtocolSent':
      return {
        ...base,
        id: ev.data.messageId,
        sessionId: ev.data.sessionId,
        speaker: 'system',
        content: ev.data.content,
        keyId: ev.data.keyId,
        model: CRISIS_PROTOCOL_MODEL,
        inReplyTo: ev.data.inReplyTo,
      };
    case 'SummaryGenerated':
      return undefined;
    default: {
      const never: never = ev;
      return never;
    }
  }
}

export interface TranscriptView {
  userId: string | undefined;
  personaId: string | undefined;
  incognito: boolean;
  messages: StoredMessage[];
}

export function transcriptViewOf(events: readonly StoredEvent<ConversationEvent>[]): TranscriptView {
  const view: TranscriptView = { userId: undefined, personaId: undefined, incognito: false, messages: [] };
  for (const e of events) {
    if (e.event.type === 'MessagePosted') {
      view.userId ??= e.event.data.userId;
      view.personaId ??= e.event.data.personaId;
      view.incognito ||= e.event.data.incognito;
    }
    const m = messageOf(e, view.incognito);
    if (m) view.messages.push(m);
  }
  return view;
}
