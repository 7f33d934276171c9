import type { Decider } from '@haven/eventstore';
import { errors } from '@haven/platform';

/**
 * The transcript aggregate (`conversation.evt.<sessionId>`): user messages, AI replies, crisis
 * protocol messages and the session summary. Content fields hold ciphertext (ContentCipher) and
 * are empty for incognito sessions.
 */
export interface MessagePostedData {
  messageId: string;
  sessionId: string;
  userId: string;
  content: string;
  clientMessageId: string;
  keyId: string;
  sentiment: number;
  safetyLevel: string;
  personaId: string;
  incognito: boolean;
}

export interface AiReplyCompletedData {
  messageId: string;
  sessionId: string;
  inReplyTo: string;
  content: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  offline: boolean;
  keyId: string;
  phase: string;
}

export interface CrisisProtocolSentData {
  messageId: string;
  sessionId: string;
  inReplyTo: string;
  content: string;
  keyId: string;
}

export interface SummaryGeneratedData {
  sessionId: string;
  summary: string;
  keyTopics: string[];
  emotions: string[];
  techniques: string[];
  nextSteps: string[];
  offline: boolean;
  keyId: string;
}

/** A summary as read models keep it: the event's content (still sealed) and when it was made. */
export type StoredSummary = Omit<SummaryGeneratedData, 'sessionId'> & { createdAt: Date };

export type ConversationEvent =
  | { type: 'MessagePosted'; data: MessagePostedData }
  | { type: 'AiReplyCompleted'; data: AiReplyCompletedData }
  | { type: 'CrisisProtocolSent'; data: CrisisProtocolSentData }
  | { type: 'SummaryGenerated'; data: SummaryGeneratedData };

export type ConversationCommand =
  | { type: 'PostUserMessage'; data: MessagePostedData }
  | { type: 'CompleteAiReply'; data: AiReplyCompletedData }
  | { type: 'SendCrisisProtocol'; data: CrisisProtocolSentData }
  | { type: 'RecordSummary'; data: SummaryGeneratedData };

export interface TranscriptState {
  /** Owner, from the first user message. */
  readonly userId: string | undefined;
  readonly personaId: string | undefined;
  readonly incognito: boolean;
  /** User message ids → the id of their answer (AI reply or crisis protocol), '' while unanswered. */
  readonly answers: ReadonlyMap<string, string>;
  readonly hasSummary: boolean;
}

export const initialTranscript = (): TranscriptState => ({
  userId: undefined,
  personaId: undefined,
  incognito: false,
  answers: new Map(),
  hasSummary: false,
});

export function evolveTranscript(state: TranscriptState, event: ConversationEvent): TranscriptState {
  switch (event.type) {
    case 'MessagePosted': {
      const answers = new Map(state.answers);
      if (!answers.has(event.data.messageId)) answers.set(event.data.messageId, '');
      return {
        ...state,
        userId: state.userId ?? event.data.userId,
        personaId: state.personaId ?? event.data.personaId,
        incognito: state.incognito || event.data.incognito,
        answers,
      };
    }
    case 'AiReplyCompleted':
    case 'CrisisProtocolSent': {
      const answers = new Map(state.answers);
      answers.set(event.data.inReplyTo, event.data.messageId);
      return { ...state, answers };
    }
    case 'SummaryGenerated':
      return { ...state, hasSummary: true };
    default: {
      const never: never = event;
      return never;
    }
  }
}

function assertAnswerable(state: TranscriptState, inReplyTo: string): 'answer' | 'already-answered' {
  const answer = state.answers.get(inReplyTo);
  if (answer === undefined) throw errors.failedPrecondition('MESSAGE_NOT_FOUND', 'the message being answered is not in this transcript');
  return answer === '' ? 'answer' : 'already-answered';
}

/**
 * Every command is idempotent: a user message that is already stored, a message that already has
 * its answer, or a summary that exists decides no new events. Together with deterministic event
 * ids and the store's optimistic concurrency this gives one reply per user message, however
 * many retries or concurrent requests there are.
 */
export function decideTranscript(command: ConversationCommand, state: TranscriptState): ConversationEvent[] {
  switch (command.type) {
    case 'PostUserMessage': {
      if (state.userId !== undefined && state.userId !== command.data.userId) {
        throw errors.notFound('SESSION_NOT_FOUND', 'no such session');
      }
      if (state.answers.has(command.data.messageId)) return [];
      return [{ type: 'MessagePosted', data: command.data }];
    }
    case 'CompleteAiReply':
      return assertAnswerable(state, command.data.inReplyTo) === 'answer' ? [{ type: 'AiReplyCompleted', data: command.data }] : [];
    case 'SendCrisisProtocol':
      return assertAnswerable(state, command.data.inReplyTo) === 'answer' ? [{ type: 'CrisisProtocolSent', data: command.data }] : [];
    case 'RecordSummary':
      return state.hasSummary ? [] : [{ type: 'SummaryGenerated', data: command.data }];
    default: {
      const never: never = command;
      return never;
    }
  }
}

export const transcriptDecider: Decider<ConversationCommand, ConversationEvent, TranscriptState> = {
  initialState: initialTranscript,
  evolve: evolveTranscript,
  decide: decideTranscript,
};
