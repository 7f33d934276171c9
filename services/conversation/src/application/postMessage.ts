import { assertValidAggregateId, handleCommand, type EventStorePort } from '@haven/eventstore';
import { DomainError, errors, type Logger } from '@haven/platform';
import { buildContextWindow, type Turn } from '../domain/contextWindow';
import { crisisProtocolMessage, resourceLabel } from '../domain/crisisProtocol';
import { replyMessageId, userMessageId } from '../domain/messageIds';
import { personaById } from '../domain/personas';
import { compilePrompt } from '../domain/prompt';
import { classifyCheckpointAnswer, sentimentOf } from '../domain/sentiment';
import { needsCrisisProtocol, type CheckpointAnswer, type SafetyAssessment, type SessionView } from '../domain/session';
import { transcriptDecider, type ConversationCommand, type ConversationEvent } from '../domain/transcript';
import type {
  BillingPort,
  ContentCipher,
  IncognitoEntry,
  IncognitoStore,
  LiveFrames,
  MemoryPort,
  ReplyChunk,
  ReplyClaims,
  ReplyGenerator,
  SafetyPort,
  SessionPort,
} from './ports';
import { CRISIS_PROTOCOL_MODEL, transcriptViewOf, type Speaker, type StoredMessage, type TranscriptView } from './transcriptView';

export const MAX_MESSAGE_CHARS = 4000;

/** A transcript message in plaintext, as the API returns it. */
export interface ChatMessage {
  id: string;
  sessionId: string;
  speaker: Speaker;
  content: string;
  createdAt: Date;
  safetyLevel: string;
  model: string;
  offline: boolean;
  clientMessageId: string;
  sentiment: number;
}

export interface SafetyFrame {
  level: string;
  state: string;
  resources: string[];
}

/** The frames of PostMessage, in order: accepted, safety, token*, completed. */
export type PostFrame =
  | { type: 'accepted'; message: ChatMessage }
  | { type: 'safety'; safety: SafetyFrame }
  | { type: 'token'; delta: string }
  | { type: 'completed'; message: ChatMessage };

export interface ConversationMetricsPort {
  messagePosted(speaker: Speaker): void;
}

export interface PostMessageDeps {
  readonly store: EventStorePort<ConversationEvent>;
  readonly session: SessionPort;
  readonly safety: SafetyPort;
  readonly billing: BillingPort;
  /** Approved memories for the prompt's memory block. */
  readonly memory: Pick<MemoryPort, 'approvedThemes'>;
  readonly replies: ReplyGenerator;
  readonly live: LiveFrames;
  readonly cipher: ContentCipher;
  readonly incognito: IncognitoStore;
  readonly claims: ReplyClaims;
  readonly metrics: ConversationMetricsPort;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly newId: () => string;
  /** How long a request whose twin is writing the reply waits for it before answering Conflict. */
  readonly awaitTwinMs: number;
  readonly pollMs?: number;
}

export interface PostMessageRequest {
  sessionId: string;
  userId: string;
  content: string;
  clientMessageId: string;
  /** BCP 47; selects the crisis resources safety returns. */
  locale: string;
}

function validate(req: PostMessageRequest): string {
  if (req.userId.trim() === '') throw errors.invalidArgument('USER_ID_REQUIRED', 'userId is required');
  try {
    assertValidAggregateId(req.sessionId);
  } catch {
    throw errors.invalidArgument('INVALID_SESSION_ID', 'sessionId is missing or malformed');
  }
  const content = req.content.trim();
  if (content === '') throw errors.invalidArgument('CONTENT_EMPTY', 'the message is empty');
  if (content.length > MAX_MESSAGE_CHARS) throw errors.invalidArgument('CONTENT_TOO_LONG', `messages are limited to ${MAX_MESSAGE_CHARS} characters`);
  if (req.clientMessageId.length > 200) throw errors.invalidArgument('INVALID_CLIENT_MESSAGE_ID', 'clientMessageId is longer than 200 characters');
  return content;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/**
 * PostMessage (ADR 0005): validate → session.RecordUserMessage → safety.Assess (fail closed) →
 * billing.Authorize → MessagePosted → crisis protocol or the streamed AI reply → AiReplyCompleted.
 * Idempotent per (sessionId, clientMessageId); a twin request never produces a second reply.
 */
export function createPostMessage(deps: PostMessageDeps) {
  const { store, cipher } = deps;
  const pollMs = deps.pollMs ?? 250;

  /** A memory outage costs the memory block, not the reply: the session goes on without it. */
  async function approvedMemories(userId: string, personaId: string): Promise<string[]> {
    try {
      return await deps.memory.approvedThemes({ userId, personaId });
    } catch (err) {
      deps.logger.warn({ err: err instanceof Error ? err.message : String(err), personaId }, 'approved memories unavailable; replying without the memory block');
      return [];
    }
  }

  async function loadView(sessionId: string): Promise<TranscriptView> {
    return transcriptViewOf((await store.load(sessionId)).events);
  }

  async function plaintext(userId: string, m: StoredMessage, incognito: ReadonlyMap<string, string>): Promise<string> {
    if (m.incognito || (m.content === '' && incognito.has(m.id))) return incognito.get(m.id) ?? '';
    return cipher.decrypt(userId, { ciphertext: m.content, keyId: m.keyId });
  }

  async function toChat(userId: string, m: StoredMessage, incognito: ReadonlyMap<string, string>, fallback?: string): Promise<ChatMessage> {
    const content = (await plaintext(userId, m, incognito)) || (fallback ?? '');
    return {
      id: m.id,
      sessionId: m.sessionId,
      speaker: m.speaker,
      content,
      createdAt: m.createdAt,
      safetyLevel: m.safetyLevel,
      model: m.model,
      offline: m.offline,
      clientMessageId: m.clientMessageId,
      sentiment: m.sentiment,
    };
  }

  async function incognitoMap(view: TranscriptView, sessionId: string): Promise<Map<string, string>> {
    if (!view.incognito) return new Map();
    return new Map((await deps.incognito.list(sessionId)).map((e) => [e.id, e.content]));
  }

  async function append(sessionId: string, command: ConversationCommand, eventId: string, actor: string) {
    return handleCommand({ store, aggregateId: sessionId, decider: transcriptDecider, command, meta: { actor, now: deps.now(), eventIds: [eventId] } });
  }

  async function remember(session: SessionView, entry: IncognitoEntry): Promise<void> {
    if (session.incognito) await deps.incognito.append(session.id, entry);
  }

  async function seal(session: SessionView, plain: string): Promise<{ ciphertext: string; keyId: string }> {
    // Incognito: no content in events or read models, ever.
    if (session.incognito) return { ciphertext: '', keyId: '' };
    return cipher.encrypt(session.userId, plain);
  }

  function safetyFrame(a: { level: string; state: string; resources: readonly { name: string; phone: string; text: string; url: string }[] }): SafetyFrame {
    return { level: a.level, state: a.state, resources: a.resources.map(resourceLabel) };
  }

  async function assess(req: PostMessageRequest, messageId: string, content: string, history: string[]): Promise<SafetyAssessment> {
    try {
      return await deps.safety.assess({ sessionId: req.sessionId, userId: req.userId, messageId, text: content, history, locale: req.locale });
    } catch (err) {
      // Fail closed: a message is never answered unchecked, and nothing is stored.
      deps.logger.warn({ err: err instanceof DomainError ? { kind: err.kind, code: err.code } : String(err) }, 'safety assessment failed; refusing the message');
      throw errors.unavailable('SAFETY_UNAVAILABLE', 'the safety check is unavailable; the message was not sent, please try again');
    }
  }

  async function authorize(req: PostMessageRequest, session: SessionView, messageId: string, content: string): Promise<void> {
    const decision = await deps.billing.authorize({ userId: req.userId, sessionId: req.sessionId, personaId: session.personaId, messageLength: content.length, messageId });
    if (decision.allowed) return;
    const code = decision.refusalCode || 'NOT_AUTHORIZED';
    const message = decision.message || 'your plan does not allow this message';
    if (code === 'MESSAGE_TOO_LONG') throw errors.invalidArgument(code, message);
    throw errors.failedPrecondition(code, message);
  }

  /**
   * Waits for the twin request that holds the claim to store the answer — or, when the holder died
   * (its lease lapsed with no answer stored), takes the claim over and answers itself.
   */
  async function awaitAnswerOrClaim(req: PostMessageRequest, messageId: string, signal: AbortSignal): Promise<ChatMessage | 'claimed'> {
    const until = Date.now() + deps.awaitTwinMs;
    while (Date.now() < until && !signal.aborted) {
      await sleep(pollMs, signal);
      const view = await loadView(req.sessionId);
      const answer = view.messages.find((m) => m.inReplyTo === messageId);
      if (answer) return toChat(req.userId, answer, await incognitoMap(view, req.sessionId));
      if (await deps.claims.claim(messageId)) return 'claimed';
    }
    throw errors.conflict('REPLY_IN_PROGRESS', 'a reply to this message is being written by another request; read the transcript or retry');
  }

  return async function* postMessage(req: PostMessageRequest, signal: AbortSignal): AsyncGenerator<PostFrame> {
    const content = validate(req);
    const clientMessageId = req.clientMessageId.trim();
    const messageId = clientMessageId ? userMessageId(req.sessionId, clientMessageId) : deps.newId();

    let view = await loadView(req.sessionId);
    if (view.userId !== undefined && view.userId !== req.userId) throw errors.notFound('SESSION_NOT_FOUND', 'no such session');
    let incognito = await incognitoMap(view, req.sessionId);
    const existing = view.messages.find((m) => m.id === messageId);
    const existingAnswer = existing && view.messages.find((m) => m.inReplyTo === messageId);
    if (existing && existingAnswer) {
      // A retry of a finished exchange: the stored result, no new reply.
      yield { type: 'accepted', message: await toChat(req.userId, existing, incognito, content) };
      yield { type: 'safety', safety: { level: existing.safetyLevel, state: '', resources: [] } };
      yield { type: 'completed', message: await toChat(req.userId, existingAnswer, incognito) };
      return;
    }

    const lastAi = [...view.messages].reverse().find((m) => m.speaker === 'ai');
    const checkpointAnswer: CheckpointAnswer | undefined = lastAi?.phase === 'checkpoint' ? classifyCheckpointAnswer(content) : undefined;
    const session = await deps.session.recordUserMessage({
      sessionId: req.sessionId,
      userId: req.userId,
      messageId,
      ...(checkpointAnswer ? { checkpointAnswer } : {}),
    });

    const earlierUserMessages = view.messages.filter((m) => m.speaker === 'user' && m.id !== messageId);
    const history = await Promise.all(earlierUserMessages.map((m) => plaintext(req.userId, m, incognito)));
    const assessment = await assess(req, messageId, content, history.filter((h) => h !== ''));

    const sentiment = sentimentOf(content);
    let accepted: ChatMessage;
    if (existing) {
      // Stored before a crash or by a twin: authorised then; answer it now.
      accepted = await toChat(req.userId, existing, incognito, content);
    } else {
      await authorize(req, session, messageId, content);
      const sealed = await seal(session, content);
      const result = await append(
        req.sessionId,
        {
          type: 'PostUserMessage',
          data: {
            messageId,
            sessionId: req.sessionId,
            userId: req.userId,
            content: sealed.ciphertext,
            keyId: sealed.keyId,
            clientMessageId,
            sentiment,
            safetyLevel: assessment.level,
            personaId: session.personaId,
            incognito: session.incognito,
          },
        },
        messageId,
        req.userId,
      );
      const stored = result.events.find((e) => e.id === messageId);
      if (result.events.length > 0) {
        await remember(session, { id: messageId, speaker: 'user', content });
        deps.metrics.messagePosted('user');
      }
      accepted = {
        id: messageId,
        sessionId: req.sessionId,
        speaker: 'user',
        content,
        createdAt: stored?.occurredAt ?? deps.now(),
        safetyLevel: assessment.level,
        model: '',
        offline: false,
        clientMessageId,
        sentiment,
      };
    }
    yield { type: 'accepted', message: accepted };
    yield { type: 'safety', safety: safetyFrame(assessment) };

    if (!(await deps.claims.claim(messageId))) {
      const twin = await awaitAnswerOrClaim(req, messageId, signal);
      if (twin !== 'claimed') {
        yield { type: 'completed', message: twin };
        return;
      }
    }
    const lease = setInterval(() => void deps.claims.renew(messageId).catch(() => undefined), deps.claims.renewEveryMs);
    try {
      // Re-read under the claim: a twin may have finished between our first look and the claim.
      view = await loadView(req.sessionId);
      incognito = await incognitoMap(view, req.sessionId);
      const answered = view.messages.find((m) => m.inReplyTo === messageId);
      if (answered) {
        yield { type: 'completed', message: await toChat(req.userId, answered, incognito) };
        return;
      }
      const replyId = replyMessageId(messageId);
      deps.live.publish({ type: 'ai_typing', sessionId: req.sessionId });

      if (needsCrisisProtocol(assessment)) {
        const text = crisisProtocolMessage(assessment.resources);
        yield { type: 'token', delta: text };
        deps.live.publish({ type: 'ai_token', sessionId: req.sessionId, messageId: replyId, delta: text });
        const sealed = await seal(session, text);
        const result = await append(
          req.sessionId,
          { type: 'SendCrisisProtocol', data: { messageId: replyId, sessionId: req.sessionId, inReplyTo: messageId, content: sealed.ciphertext, keyId: sealed.keyId } },
          replyId,
          'conversation',
        );
        await remember(session, { id: replyId, speaker: 'system', content: text });
        deps.metrics.messagePosted('system');
        const message: ChatMessage = {
          id: replyId,
          sessionId: req.sessionId,
          speaker: 'system',
          content: text,
          createdAt: result.events[0]?.occurredAt ?? deps.now(),
          safetyLevel: '',
          model: CRISIS_PROTOCOL_MODEL,
          offline: false,
          clientMessageId: '',
          sentiment: 0,
        };
        publishResponse(req.sessionId, message);
        yield { type: 'completed', message };
        return;
      }

      const persona = personaById(session.personaId);
      const turns: Turn[] = [];
      for (const m of view.messages) {
        if (m.id === messageId) continue;
        turns.push({ speaker: m.speaker, content: await plaintext(req.userId, m, incognito) });
      }
      turns.push({ speaker: 'user', content });
      const window = buildContextWindow(turns);
      const memories = await approvedMemories(req.userId, session.personaId);
      const prompt = compilePrompt({ persona, session, memories, ...(window.recap ? { recap: window.recap } : {}) });
      let text = '';
      let done: Extract<ReplyChunk, { type: 'done' }> | undefined;
      for await (const chunk of deps.replies.generate({
        prompt,
        turns: window.recent,
        offline: { persona, phase: session.phase, forceClosing: session.forceClosing, reason: session.reason, userMessage: content },
        signal,
      })) {
        if (chunk.type === 'delta') {
          if (chunk.text === '') continue;
          text += chunk.text;
          yield { type: 'token', delta: chunk.text };
          deps.live.publish({ type: 'ai_token', sessionId: req.sessionId, messageId: replyId, delta: chunk.text });
        } else {
          done = chunk;
        }
      }
      if (!done || text.trim() === '') throw errors.unavailable('LLM_EMPTY_REPLY', 'the AI reply was empty; please try again');
      const sealed = await seal(session, text);
      const result = await append(
        req.sessionId,
        {
          type: 'CompleteAiReply',
          data: {
            messageId: replyId,
            sessionId: req.sessionId,
            inReplyTo: messageId,
            content: sealed.ciphertext,
            keyId: sealed.keyId,
            model: done.model,
            offline: done.offline,
            promptTokens: done.promptTokens,
            completionTokens: done.completionTokens,
            latencyMs: done.latencyMs,
            phase: session.phase,
          },
        },
        replyId,
        'conversation',
      );
      if (result.events.length === 0) {
        // Someone answered while we generated (a claim that expired): theirs is the stored truth.
        const fresh = await loadView(req.sessionId);
        const theirs = fresh.messages.find((m) => m.inReplyTo === messageId);
        if (theirs) {
          yield { type: 'completed', message: await toChat(req.userId, theirs, await incognitoMap(fresh, req.sessionId)) };
          return;
        }
      }
      await remember(session, { id: replyId, speaker: 'ai', content: text });
      deps.metrics.messagePosted('ai');
      const message: ChatMessage = {
        id: replyId,
        sessionId: req.sessionId,
        speaker: 'ai',
        content: text,
        createdAt: result.events[0]?.occurredAt ?? deps.now(),
        safetyLevel: '',
        model: done.model,
        offline: done.offline,
        clientMessageId: '',
        sentiment: 0,
      };
      publishResponse(req.sessionId, message);
      yield { type: 'completed', message };
    } finally {
      clearInterval(lease);
      await deps.claims.release(messageId).catch(() => undefined);
    }
  };

  function publishResponse(sessionId: string, m: ChatMessage): void {
    deps.live.publish({
      type: 'ai_response',
      sessionId,
      message: { id: m.id, speaker: m.speaker === 'system' ? 'system' : 'ai', content: m.content, timestamp: m.createdAt.toISOString(), model: m.model, offline: m.offline },
    });
  }
}
