import { errors, isContentErased } from '@haven/platform';
import { findPersona } from '../domain/personas';
import type { StoredSummary } from '../domain/transcript';
import type { ChatMessage } from './postMessage';
import type { ContentCipher, IncognitoStore } from './ports';
import type { StoredMessage } from './transcriptView';

/** What the queries need of the transcripts read model (the projection's documents). */
export interface TranscriptRecord {
  _id: string;
  userId?: string;
  personaId?: string;
  incognito?: boolean;
  startedAt?: Date;
  messages: StoredMessage[];
  summary?: StoredSummary;
}

/** A session's themes for the admin sessions browser: summary topics and emotions, no text. */
export interface SessionThemesView {
  sessionId: string;
  keyTopics: string[];
  emotions: string[];
  summarisedAt: Date;
}

export interface TranscriptReadModel {
  find(sessionId: string): Promise<TranscriptRecord | null>;
  /** Themes of those of the sessions that have a summary (topics still sealed); reads no message content. */
  themes(sessionIds: readonly string[]): Promise<(SessionThemesView & { userId: string; keyId: string })[]>;
}

export const MAX_THEME_SESSIONS = 100;

export interface Transcript {
  sessionId: string;
  personaId: string;
  personaName: string;
  startedAt: Date | undefined;
  messages: ChatMessage[];
}

export interface SessionSummaryView {
  sessionId: string;
  summary: string;
  keyTopics: string[];
  emotions: string[];
  techniques: string[];
  nextSteps: string[];
  offline: boolean;
  createdAt: Date;
}

export function createQueries(deps: { transcripts: TranscriptReadModel; cipher: ContentCipher; incognito: IncognitoStore }) {
  /** Owned sessions only: someone else's session is indistinguishable from a missing one. */
  async function owned(sessionId: string, userId: string): Promise<TranscriptRecord> {
    if (sessionId === '' || userId === '') throw errors.invalidArgument('SESSION_AND_USER_REQUIRED', 'sessionId and userId are required');
    const doc = await deps.transcripts.find(sessionId);
    if (!doc || doc.userId !== userId) throw errors.notFound('TRANSCRIPT_NOT_FOUND', 'no transcript for this session');
    return doc;
  }

  async function getTranscript(sessionId: string, userId: string): Promise<Transcript> {
    const doc = await owned(sessionId, userId);
    // Incognito content lives only in Redis while the session is live; afterwards it is gone.
    const live = doc.incognito ? new Map((await deps.incognito.list(sessionId)).map((e) => [e.id, e.content])) : new Map<string, string>();
    const messages: ChatMessage[] = [];
    for (const m of doc.messages) {
      const content = doc.incognito ? (live.get(m.id) ?? '') : await deps.cipher.decrypt(userId, { ciphertext: m.content, keyId: m.keyId });
      messages.push({
        id: m.id,
        sessionId: m.sessionId,
        speaker: m.speaker,
        content,
        createdAt: m.createdAt,
        safetyLevel: m.speaker === 'user' ? m.safetyLevel : '',
        model: m.model,
        offline: m.offline,
        clientMessageId: m.clientMessageId,
        sentiment: m.sentiment,
      });
    }
    const personaId = doc.personaId ?? '';
    return { sessionId, personaId, personaName: findPersona(personaId)?.name ?? personaId, startedAt: doc.startedAt ?? doc.messages[0]?.createdAt, messages };
  }

  async function getSummary(sessionId: string, userId: string): Promise<SessionSummaryView> {
    const doc = await owned(sessionId, userId).catch((err: unknown) => {
      // No transcript yet: from the caller's side the summary simply is not there (yet).
      throw err instanceof Error && 'code' in err && err.code === 'TRANSCRIPT_NOT_FOUND'
        ? errors.notFound('SUMMARY_NOT_READY', 'the summary is not ready yet')
        : err;
    });
    const s = doc.summary;
    if (!s) throw errors.notFound('SUMMARY_NOT_READY', 'the summary is not ready yet');
    const open = (ciphertext: string) => deps.cipher.decrypt(userId, { ciphertext, keyId: s.keyId });
    const summary = await open(s.summary);
    // Topics and next steps may quote the client, so they are sealed like the summary itself.
    const keyTopics = await Promise.all(s.keyTopics.map(open));
    const nextSteps = await Promise.all(s.nextSteps.map(open));
    return { sessionId, summary, keyTopics, emotions: s.emotions, techniques: s.techniques, nextSteps, offline: s.offline, createdAt: s.createdAt };
  }

  async function listSessionThemes(sessionIds: readonly string[]): Promise<SessionThemesView[]> {
    if (sessionIds.length === 0 || sessionIds.length > MAX_THEME_SESSIONS) {
      throw errors.invalidArgument('INVALID_SESSION_IDS', `session_ids must hold 1 to ${MAX_THEME_SESSIONS} ids (got ${sessionIds.length})`);
    }
    if (sessionIds.some((id) => id === '' || id.length > 200)) throw errors.invalidArgument('INVALID_SESSION_IDS', 'session_ids must be 1 to 200 characters each');
    const sealed = await deps.transcripts.themes([...new Set(sessionIds)]);
    return Promise.all(
      sealed.map(async ({ userId, keyId, ...row }) => ({
        ...row,
        // Topics are sealed with the owner's key; an erased owner's topics are gone, not an error.
        keyTopics: await Promise.all(row.keyTopics.map((ciphertext) => deps.cipher.decrypt(userId, { ciphertext, keyId }))).catch((err: unknown) => {
          if (isContentErased(err)) return [];
          throw err;
        }),
      })),
    );
  }

  return { getTranscript, getSummary, listSessionThemes };
}
