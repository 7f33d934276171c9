import { DomainError, errors, type Logger } from '@haven/platform';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { z } from 'zod';
import type { ReplyChunk, ReplyGenerator, ReplyRequest, SummaryGenerator } from '../application/ports';
import type { Turn } from '../domain/contextWindow';
import { OFFLINE_MODEL, offlineReply } from '../domain/offlineResponder';
import { offlineSummary, sessionEmotions, techniquesOf, type SessionSummaryContent, type SummaryInput } from '../domain/summary';
import type { ConversationMetrics, LlmOutcome } from './metrics';

export interface LlmSettings {
  readonly baseURL: string | undefined;
  readonly apiKey: string;
  readonly model: string;
  /** Per attempt: until the response starts, and the longest silence between streamed chunks. */
  readonly timeoutMs: number;
  /** Retries on 429/5xx/connection errors/timeouts before the stream starts (the client's own backoff, honouring retry-after). */
  readonly maxRetries: number;
  readonly maxCompletionTokens: number;
}

function toMessages(req: ReplyRequest): ChatCompletionMessageParam[] {
  // Both prompts go as system messages: many OpenAI-compatible servers reject the `developer` role.
  const msgs: ChatCompletionMessageParam[] = [
    { role: 'system', content: req.prompt.system },
    { role: 'system', content: req.prompt.developer },
  ];
  for (const t of req.turns) {
    if (t.content === '') continue;
    msgs.push(t.speaker === 'user' ? { role: 'user', content: t.content } : { role: 'assistant', content: t.content });
  }
  return msgs;
}

function mapLlmError(err: unknown, timedOut: boolean): DomainError {
  if (err instanceof DomainError) return err;
  if (timedOut || err instanceof OpenAI.APIConnectionTimeoutError) {
    return new DomainError('DeadlineExceeded', 'LLM_TIMEOUT', 'the AI did not answer in time; please try again');
  }
  if (err instanceof OpenAI.APIUserAbortError) return errors.unavailable('LLM_ABORTED', 'the AI reply was cancelled');
  if (err instanceof OpenAI.RateLimitError) return errors.unavailable('LLM_RATE_LIMITED', 'the AI is busy; please try again shortly');
  return errors.unavailable('LLM_UNAVAILABLE', 'the AI is unavailable; please try again');
}

/** Streams replies from an OpenAI-compatible endpoint, with timeouts, retries, usage and latency metrics. */
export class OpenAIReplyGenerator implements ReplyGenerator, SummaryGenerator {
  private readonly client: OpenAI;

  constructor(
    private readonly settings: LlmSettings,
    private readonly metrics: ConversationMetrics,
    private readonly logger: Logger,
  ) {
    this.client = new OpenAI({ apiKey: settings.apiKey, baseURL: settings.baseURL, timeout: settings.timeoutMs, maxRetries: settings.maxRetries });
  }

  async *generate(req: ReplyRequest): AsyncIterable<ReplyChunk> {
    const { model, timeoutMs } = this.settings;
    const started = performance.now();
    const abort = new AbortController();
    const onCallerAbort = () => abort.abort();
    req.signal.addEventListener('abort', onCallerAbort);
    // The client's timeout ends when the response starts; a stream that stalls afterwards is cut here.
    let idle: NodeJS.Timeout | undefined;
    let timedOut = false;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        timedOut = true;
        abort.abort();
      }, timeoutMs);
    };
    let outcome: LlmOutcome = 'error';
    try {
      const stream = await this.client.chat.completions.create(
        {
          model,
          messages: toMessages(req),
          stream: true,
          stream_options: { include_usage: true },
          max_completion_tokens: this.settings.maxCompletionTokens,
          temperature: 0.7,
        },
        { signal: abort.signal },
      );
      armIdle();
      let promptTokens = 0;
      let completionTokens = 0;
      let usedModel = model;
      for await (const chunk of stream) {
        armIdle();
        if (chunk.model) usedModel = chunk.model;
        const delta = chunk.choices[0]?.delta?.content;
        if (delta) yield { type: 'delta', text: delta };
        if (chunk.usage) {
          promptTokens = chunk.usage.prompt_tokens;
          completionTokens = chunk.usage.completion_tokens;
        }
      }
      clearTimeout(idle);
      const latencyMs = Math.round(performance.now() - started);
      outcome = 'ok';
      this.metrics.llmTokens.inc({ model, kind: 'prompt' }, promptTokens);
      this.metrics.llmTokens.inc({ model, kind: 'completion' }, completionTokens);
      yield { type: 'done', model: usedModel, offline: false, promptTokens, completionTokens, latencyMs };
    } catch (err) {
      const mapped = mapLlmError(err, timedOut);
      outcome = mapped.kind === 'DeadlineExceeded' ? 'timeout' : req.signal.aborted ? 'aborted' : 'error';
      this.logger.warn({ code: mapped.code, err: err instanceof Error ? err.name : String(err) }, 'LLM reply failed');
      throw mapped;
    } finally {
      clearTimeout(idle);
      req.signal.removeEventListener('abort', onCallerAbort);
      this.metrics.llmDuration.observe({ model, outcome }, (performance.now() - started) / 1000);
    }
  }

  async summarise(input: SummaryInput & { transcript: readonly Turn[] }): Promise<SessionSummaryContent & { offline: boolean }> {
    const fallback = { ...offlineSummary(input), offline: true };
    // Incognito content never leaves Redis, and an empty session needs no model.
    if (input.incognito || input.userMessages.length === 0) return fallback;
    const { model } = this.settings;
    const started = performance.now();
    let outcome: LlmOutcome = 'error';
    try {
      const transcript = input.transcript
        .filter((t) => t.content !== '')
        .map((t) => `${t.speaker === 'user' ? 'Client' : 'Companion'}: ${t.content}`)
        .join('\n')
        .slice(-12_000);
      const res = await this.client.chat.completions.create({
        model,
        response_format: { type: 'json_object' },
        messages: [
          {
            role: 'system',
            content:
              'You summarise a wellbeing session for the client, in the second person, warmly and briefly. Answer with JSON only: {"summary": string (2-4 sentences), "keyTopics": string[] (max 5, short), "emotions": string[] (max 5), "nextSteps": string[] (max 3, small and concrete), "memoryThemes": string[] (max 3: general themes worth remembering for the next session, e.g. "finding calm before work meetings"; never names, places, dates, or details of trauma or health)}. No diagnoses.',
          },
          { role: 'user', content: transcript },
        ],
      });
      const usage = res.usage;
      if (usage) {
        this.metrics.llmTokens.inc({ model, kind: 'prompt' }, usage.prompt_tokens);
        this.metrics.llmTokens.inc({ model, kind: 'completion' }, usage.completion_tokens);
      }
      const parsed = SummaryJson.safeParse(JSON.parse(res.choices[0]?.message.content ?? ''));
      if (!parsed.success) throw new Error('summary JSON did not match the schema');
      outcome = 'ok';
      const emotions = [...new Set([...parsed.data.emotions.map((e) => e.toLowerCase()), ...sessionEmotions(input.userMessages, input.sentiments)])].slice(0, 6);
      return {
        summary: parsed.data.summary,
        keyTopics: parsed.data.keyTopics.slice(0, 5),
        emotions,
        techniques: techniquesOf(input.persona),
        nextSteps: parsed.data.nextSteps.slice(0, 3),
        memoryThemes: parsed.data.memoryThemes.slice(0, 3),
        offline: false,
      };
    } catch (err) {
      this.logger.warn({ err: err instanceof Error ? err.name : String(err) }, 'LLM summary failed; using the offline summary');
      return fallback;
    } finally {
      this.metrics.llmDuration.observe({ model, outcome }, (performance.now() - started) / 1000);
    }
  }
}

const SummaryJson = z.object({
  summary: z.string().min(1),
  keyTopics: z.array(z.string()).default([]),
  emotions: z.array(z.string()).default([]),
  nextSteps: z.array(z.string()).default([]),
  memoryThemes: z.array(z.string().max(200)).default([]),
});

/** Word-sized pieces with their leading whitespace, so the stream looks like an LLM's. */
function pieces(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/** No API key: the offline responder answers, marked `model: 'offline'`, `offline: true`. */
export class OfflineReplyGenerator implements ReplyGenerator, SummaryGenerator {
  constructor(private readonly metrics: ConversationMetrics) {}

  async *generate(req: ReplyRequest): AsyncIterable<ReplyChunk> {
    const started = performance.now();
    const text = offlineReply(req.offline);
    const parts = pieces(text);
    for (const p of parts) yield { type: 'delta', text: p };
    const latencyMs = Math.round(performance.now() - started);
    this.metrics.llmDuration.observe({ model: OFFLINE_MODEL, outcome: 'ok' }, latencyMs / 1000);
    yield { type: 'done', model: OFFLINE_MODEL, offline: true, promptTokens: 0, completionTokens: parts.length, latencyMs };
  }

  async summarise(input: SummaryInput): Promise<SessionSummaryContent & { offline: boolean }> {
    return { ...offlineSummary(input), offline: true };
  }
}
