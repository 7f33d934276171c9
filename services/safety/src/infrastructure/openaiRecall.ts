import OpenAI from 'openai';
import type { RemoteRiskCheck } from '../application/ports';
import { RISK_LEVELS, type RiskLevel } from '../domain/levels';
import type { RemoteVerdict } from '../domain/riskCombination';

// Moderation categories that speak to risk to self; the others (violence in a film plot,
// harassment) are left to the offline classifier and the LLM, which see context.
const MODERATION_LEVELS: ReadonlyArray<[category: string, level: RiskLevel]> = [
  ['self-harm/intent', 'HIGH_RISK'],
  ['self-harm/instructions', 'HIGH_RISK'],
  ['self-harm', 'ELEVATED_CONCERN'],
];

export function moderationCheck(client: OpenAI, model: string): RemoteRiskCheck {
  return {
    name: 'moderation',
    async check(text, _history, signal): Promise<RemoteVerdict> {
      const res = await client.moderations.create({ model, input: text }, { signal, maxRetries: 0 });
      const categories = (res.results[0]?.categories ?? {}) as unknown as Record<string, boolean | undefined>;
      let level: RiskLevel | undefined;
      const signals: string[] = [];
      for (const [category, categoryLevel] of MODERATION_LEVELS) {
        if (categories[category] !== true) continue;
        signals.push(`moderation:${category}`);
        if (level === undefined || RISK_LEVELS.indexOf(categoryLevel) > RISK_LEVELS.indexOf(level)) level = categoryLevel;
      }
      return { source: 'moderation', level, signals };
    },
  };
}

const CLASSIFICATION_PROMPT = `You are a clinical safety triage assistant for a therapy app. Classify the risk of the
user's LATEST message, reading earlier messages only as context. Levels:
- HIGH_RISK: current intent or plan to end their life or seriously self-harm (explicit, indirect, euphemistic or slang,
  e.g. "kms", "unalive"), preparatory acts (means, goodbye letters, giving things away), self-harm happening now, imminent
  intent to harm someone else, or immediate danger from someone else.
- ELEVATED_CONCERN: passive death wish or ideation without intent, deep hopelessness, recent self-harm without current
  intent, feeling unsafe at home without immediate danger.
- WATCH: ordinary distress (stress, sadness, grief, loneliness, anxiety) without risk signals.
- NORMAL: neutral or positive speech, idioms and hyperbole ("this commute is killing me"), talk about films, books,
  news or other people's past.
Answer with JSON only: {"level":"HIGH_RISK|ELEVATED_CONCERN|WATCH|NORMAL","signals":["short reason", ...]}`;

const MAX_LLM_SIGNALS = 5;

/** Reads the model's JSON answer; anything unexpected is "no opinion", never a lower level. */
export function parseClassification(content: string): RemoteVerdict {
  const json = /\{[\s\S]*\}/.exec(content)?.[0];
  if (!json) return { source: 'llm', level: undefined, signals: [] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return { source: 'llm', level: undefined, signals: [] };
  }
  const obj = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const level = RISK_LEVELS.find((l) => l === obj.level);
  const rawSignals = Array.isArray(obj.signals) ? obj.signals : [];
  const signals = rawSignals
    .filter((s): s is string => typeof s === 'string' && s.trim() !== '')
    .slice(0, MAX_LLM_SIGNALS)
    .map((s) => `llm:${s.trim().slice(0, 60)}`);
  return { source: 'llm', level, signals };
}

export function llmClassificationCheck(client: OpenAI, model: string): RemoteRiskCheck {
  return {
    name: 'llm',
    async check(text, history, signal): Promise<RemoteVerdict> {
      const context = history.length > 0 ? `Earlier messages (oldest first):\n${history.map((h) => `- ${h}`).join('\n')}\n\n` : '';
      const res = await client.chat.completions.create(
        {
          model,
          temperature: 0,
          max_tokens: 150,
          messages: [
            { role: 'system', content: CLASSIFICATION_PROMPT },
            { role: 'user', content: `${context}Latest message:\n${text}` },
          ],
        },
        { signal, maxRetries: 0 },
      );
      return parseClassification(res.choices[0]?.message.content ?? '');
    },
  };
}

export function openAiClient(opts: { apiKey: string; baseURL?: string }): OpenAI {
  // Retries would outlive the Assess budget; the offline result is the fallback instead.
  return new OpenAI({ apiKey: opts.apiKey, ...(opts.baseURL ? { baseURL: opts.baseURL } : {}), maxRetries: 0, timeout: 10_000 });
}
