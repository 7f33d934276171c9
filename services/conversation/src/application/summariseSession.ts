import { handleCommand, type EventStorePort } from '@haven/eventstore';
import type { Turn } from '../domain/contextWindow';
import { summaryEventId } from '../domain/messageIds';
import { findPersona } from '../domain/personas';
import { transcriptDecider, type ConversationEvent } from '../domain/transcript';
import type { ContentCipher, IncognitoStore, SummaryGenerator } from './ports';
import { transcriptViewOf } from './transcriptView';

export type SummaryOutcome = 'recorded' | 'exists' | 'empty';

/**
 * When a session ends: summarise its transcript (LLM JSON or the offline extractive summary) and
 * record SummaryGenerated once (idempotent decider + deterministic event id). Incognito sessions
 * get a content-free summary, and their live context in Redis is dropped afterwards.
 */
export function createSummariseSession(deps: {
  store: EventStorePort<ConversationEvent>;
  summaries: SummaryGenerator;
  cipher: ContentCipher;
  incognito: IncognitoStore;
  now: () => Date;
}) {
  return async function summariseSession(sessionId: string): Promise<SummaryOutcome> {
    const { events } = await deps.store.load(sessionId);
    if (events.some((e) => e.event.type === 'SummaryGenerated')) return 'exists';
    const view = transcriptViewOf(events);
    const userId = view.userId;
    if (userId === undefined || view.messages.length === 0) return 'empty';

    const transcript: Turn[] = [];
    if (!view.incognito) {
      for (const m of view.messages) transcript.push({ speaker: m.speaker, content: await deps.cipher.decrypt(userId, { ciphertext: m.content, keyId: m.keyId }) });
    }
    const users = view.messages.filter((m) => m.speaker === 'user');
    const content = await deps.summaries.summarise({
      persona: findPersona(view.personaId ?? ''),
      userMessages: transcript.filter((t) => t.speaker === 'user').map((t) => t.content),
      sentiments: users.map((m) => m.sentiment),
      incognito: view.incognito,
      transcript,
    });
    const sealed = await deps.cipher.encrypt(userId, content.summary);
    await handleCommand({
      store: deps.store,
      aggregateId: sessionId,
      decider: transcriptDecider,
      command: {
        type: 'RecordSummary',
        data: {
          sessionId,
          summary: sealed.ciphertext,
          keyId: sealed.keyId,
          keyTopics: content.keyTopics,
          emotions: content.emotions,
          techniques: content.techniques,
          nextSteps: content.nextSteps,
          offline: content.offline,
        },
      },
      meta: { actor: 'conversation', now: deps.now(), eventIds: [summaryEventId(sessionId)] },
    });
    if (view.incognito) await deps.incognito.drop(sessionId);
    return 'recorded';
  };
}
