import { handleCommand, type EventStorePort } from '@haven/eventstore';
import { isContentErased } from '@haven/platform';
import type { Turn } from '../domain/contextWindow';
import { summaryEventId } from '../domain/messageIds';
import { findPersona } from '../domain/personas';
import { transcriptDecider, type ConversationEvent } from '../domain/transcript';
import type { ContentCipher, IncognitoStore, MemoryPort, SummaryGenerator } from './ports';
import { transcriptViewOf, type TranscriptView } from './transcriptView';

export type SummaryOutcome = 'recorded' | 'exists' | 'empty' | 'erased';

/**
 * When a session ends: summarise its transcript (LLM JSON or the offline extractive summary),
 * propose the summary's memory themes to the client (consent happens in the memory service), and
 * record SummaryGenerated once (idempotent decider + deterministic event id). The proposal comes
 * first and is idempotent per (session, theme), so a crash between the two only repeats it.
 * Summary text, topics and next steps are sealed with the user's data key. Incognito sessions get
 * a content-free summary and propose nothing, and their live context in Redis is dropped
 * afterwards. A user erased meanwhile has nothing left to summarise.
 */
export function createSummariseSession(deps: {
  store: EventStorePort<ConversationEvent>;
  summaries: SummaryGenerator;
  cipher: ContentCipher;
  incognito: IncognitoStore;
  memory: Pick<MemoryPort, 'proposeThemes'>;
  now: () => Date;
}) {
  async function summariseSession(sessionId: string): Promise<SummaryOutcome> {
    const { events } = await deps.store.load(sessionId);
    if (events.some((e) => e.event.type === 'SummaryGenerated')) return 'exists';
    const view = transcriptViewOf(events);
    const userId = view.userId;
    if (userId === undefined || view.messages.length === 0) return 'empty';

    const transcript: Turn[] = [];
    try {
      if (!view.incognito) {
        for (const m of view.messages) transcript.push({ speaker: m.speaker, content: await deps.cipher.decrypt(userId, { ciphertext: m.content, keyId: m.keyId }) });
      }
      return await summariseAndRecord(sessionId, view, userId, transcript);
    } catch (err) {
      if (isContentErased(err)) return 'erased';
      throw err;
    }
  }

  async function summariseAndRecord(sessionId: string, view: TranscriptView, userId: string, transcript: Turn[]): Promise<SummaryOutcome> {
    const users = view.messages.filter((m) => m.speaker === 'user');
    const content = await deps.summaries.summarise({
      persona: findPersona(view.personaId ?? ''),
      userMessages: transcript.filter((t) => t.speaker === 'user').map((t) => t.content),
      sentiments: users.map((m) => m.sentiment),
      incognito: view.incognito,
      transcript,
    });
    if (!view.incognito && view.personaId !== undefined && content.memoryThemes.length > 0) {
      await deps.memory.proposeThemes({ userId, personaId: view.personaId, sessionId, themes: content.memoryThemes });
    }
    const sealed = await deps.cipher.encrypt(userId, content.summary);
    const keyTopics: string[] = [];
    for (const t of content.keyTopics) keyTopics.push((await deps.cipher.encrypt(userId, t)).ciphertext);
    const nextSteps: string[] = [];
    for (const t of content.nextSteps) nextSteps.push((await deps.cipher.encrypt(userId, t)).ciphertext);
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
          keyTopics,
          emotions: content.emotions,
          techniques: content.techniques,
          nextSteps,
          offline: content.offline,
        },
      },
      meta: { actor: 'conversation', now: deps.now(), eventIds: [summaryEventId(sessionId)] },
    });
    if (view.incognito) await deps.incognito.drop(sessionId);
    return 'recorded';
  }

  return summariseSession;
}
