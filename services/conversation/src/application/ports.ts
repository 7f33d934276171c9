import type { CompiledPrompt } from '../domain/prompt';
import type { Turn } from '../domain/contextWindow';
import type { OfflineReplyInput } from '../domain/offlineResponder';
import type { CheckpointAnswer, SafetyAssessment, SessionView } from '../domain/session';
import type { SessionSummaryContent, SummaryInput } from '../domain/summary';

/** The ports the conversation's use cases depend on; adapters live in infrastructure/, fakes in tests. */

export interface SessionPort {
  /** Counts the message (idempotent per messageId), checks active + owned, returns the state the prompt is built from. */
  recordUserMessage(req: { sessionId: string; userId: string; messageId: string; checkpointAnswer?: CheckpointAnswer }): Promise<SessionView>;
}

export interface SafetyPort {
  assess(req: { sessionId: string; userId: string; messageId: string; text: string; history: readonly string[]; locale: string }): Promise<SafetyAssessment>;
}

export interface BillingDecision {
  readonly allowed: boolean;
  readonly refusalCode: string;
  readonly message: string;
}

export interface BillingPort {
  /** `messageId` makes a retried message count once against the daily cap. */
  authorize(req: { userId: string; sessionId: string; personaId: string; messageLength: number; messageId: string }): Promise<BillingDecision>;
}

/** Consented memory (the memory service): what carries over between sessions of a (user, persona) pair. */
export interface MemoryPort {
  /** Approved themes of the pair, oldest first; [] when there are none. */
  approvedThemes(req: { userId: string; personaId: string }): Promise<string[]>;
  /** Proposes themes for the client to approve, edit or reject; idempotent per (session, theme). */
  proposeThemes(req: { userId: string; personaId: string; sessionId: string; themes: readonly string[] }): Promise<{ proposed: number; dropped: number }>;
}

export interface ReplyRequest {
  readonly prompt: CompiledPrompt;
  /** The recent turns verbatim, ending with the message being answered. */
  readonly turns: readonly Turn[];
  /** What the offline responder needs (it answers without the compiled prompt). */
  readonly offline: OfflineReplyInput;
  readonly signal: AbortSignal;
}

export type ReplyChunk =
  | { readonly type: 'delta'; readonly text: string }
  | {
      readonly type: 'done';
      readonly model: string;
      readonly offline: boolean;
      readonly promptTokens: number;
      readonly completionTokens: number;
      readonly latencyMs: number;
    };

/** Streams an AI reply: deltas, then exactly one `done`. Failures are DomainErrors (LLM_TIMEOUT, LLM_UNAVAILABLE). */
export interface ReplyGenerator {
  generate(req: ReplyRequest): AsyncIterable<ReplyChunk>;
}

export interface SummaryGenerator {
  summarise(input: SummaryInput & { readonly transcript: readonly Turn[] }): Promise<SessionSummaryContent & { offline: boolean }>;
}

export interface LiveMessage {
  readonly id: string;
  readonly speaker: 'ai' | 'system';
  readonly content: string;
  readonly timestamp: string;
  readonly model: string;
  readonly offline: boolean;
}

/** Live frames on core NATS `live.session.<sessionId>` (ADR 0005): best effort, not events. */
export type LiveFrame =
  | { readonly type: 'ai_typing'; readonly sessionId: string }
  | { readonly type: 'ai_token'; readonly sessionId: string; readonly messageId: string; readonly delta: string }
  | { readonly type: 'ai_response'; readonly sessionId: string; readonly message: LiveMessage };

export interface LiveFrames {
  publish(frame: LiveFrame): void;
}

/**
 * Encryption of message content in events and projections: per-user data keys from the memory
 * service (crypto-shredding, @haven/platform DataKeyCipher). keyId '' marks content stored as it is
 * (only ever empty, e.g. incognito placeholders).
 */
export interface ContentCipher {
  encrypt(userId: string, plaintext: string): Promise<{ ciphertext: string; keyId: string }>;
  decrypt(userId: string, sealed: { ciphertext: string; keyId: string }): Promise<string>;
}

export interface IncognitoEntry {
  readonly id: string;
  readonly speaker: 'user' | 'ai' | 'system';
  readonly content: string;
}

/** Live context of incognito sessions: content only in Redis, with a TTL, dropped at the end. */
export interface IncognitoStore {
  append(sessionId: string, entry: IncognitoEntry): Promise<void>;
  list(sessionId: string): Promise<IncognitoEntry[]>;
  drop(sessionId: string): Promise<void>;
}

/**
 * One generator per user message across replicas: the claim is a short lease, renewed while the
 * reply is written, so a crashed holder's claim lapses within seconds and a retry can take over.
 */
export interface ReplyClaims {
  claim(messageId: string): Promise<boolean>;
  /** Extends our own lease; false when it was lost (expired and possibly taken by another). */
  renew(messageId: string): Promise<boolean>;
  release(messageId: string): Promise<void>;
  /** How often the holder renews (well inside the lease). */
  readonly renewEveryMs: number;
}
