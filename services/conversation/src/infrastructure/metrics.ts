import { Counter, Histogram, type Registry } from 'prom-client';
import type { Speaker } from '../application/transcriptView';

export type LlmOutcome = 'ok' | 'error' | 'timeout' | 'aborted';

/** LLM and message metrics on the service's registry (names used by dashboards and alerts). */
export interface ConversationMetrics {
  llmDuration: Histogram<'model' | 'outcome'>;
  llmTokens: Counter<'model' | 'kind'>;
  messages: Counter<'speaker'>;
  messagePosted(speaker: Speaker): void;
}

export function createConversationMetrics(registry: Registry): ConversationMetrics {
  const llmDuration = new Histogram({
    name: 'haven_llm_request_duration_seconds',
    help: 'LLM reply latency (request to last token), by model and outcome',
    labelNames: ['model', 'outcome'],
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60],
    registers: [registry],
  });
  const llmTokens = new Counter({
    name: 'haven_llm_tokens_total',
    help: 'LLM tokens used, by model and kind (prompt|completion)',
    labelNames: ['model', 'kind'],
    registers: [registry],
  });
  const messages = new Counter({
    name: 'haven_messages_total',
    help: 'Transcript messages stored, by speaker (user|ai|system)',
    labelNames: ['speaker'],
    registers: [registry],
  });
  return { llmDuration, llmTokens, messages, messagePosted: (speaker) => messages.inc({ speaker }) };
}
