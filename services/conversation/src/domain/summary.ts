import type { Persona } from './personas';
import { emotionsIn } from './sentiment';

export interface SessionSummaryContent {
  readonly summary: string;
  readonly keyTopics: string[];
  readonly emotions: string[];
  readonly techniques: string[];
  readonly nextSteps: string[];
  /**
   * General, non-identifying themes worth carrying into the next session, proposed to the client
   * for consent (memory service). Never stored in conversation events.
   */
  readonly memoryThemes: string[];
}

export interface SummaryInput {
  readonly persona: Persona | undefined;
  /** Plaintext user messages, oldest first (empty for incognito sessions). */
  readonly userMessages: readonly string[];
  /** Lexicon sentiment per user message (kept even for incognito sessions). */
  readonly sentiments: readonly number[];
  readonly incognito: boolean;
}

const STOPWORDS = new Set(
  `about above after again against because been before being below between both cannot could does doing down during each
  few from further have having here hers herself himself into itself just like more most myself once only other ought ours
  ourselves over same should some such than that that's their theirs them themselves then there these they this those
  through under until very want was were what when where which while whom with would your yours yourself yourselves
  really feel feeling felt think know thing things been also even still much many today right now going get got make made
  always never sometimes maybe something anything everything someone anyone everyone time week day days lot lots kind sort
  just well though since will wont don't didn't can't i'm i've it's that's what's there's dont didnt cant im ive`.split(/\s+/),
);

/** Most frequent content words across the client's messages: a small, offline topic extractor. */
export function keyTopicsOf(texts: readonly string[], max = 5): string[] {
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const raw of text.toLowerCase().match(/[a-z][a-z'’-]{3,}/g) ?? []) {
      const w = raw.replace(/[’']s$/, '');
      if (STOPWORDS.has(w) || w.length < 4) continue;
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([w]) => w);
}

/** Lexicon emotions across the session, with the sentiment trend when no emotion word was used. */
export function sessionEmotions(texts: readonly string[], sentiments: readonly number[]): string[] {
  const found = new Set<string>();
  for (const t of texts) for (const e of emotionsIn(t)) found.add(e);
  if (found.size === 0 && sentiments.length > 0) {
    const avg = sentiments.reduce((a, b) => a + b, 0) / sentiments.length;
    found.add(avg <= -1 ? 'distress' : avg >= 1 ? 'positive mood' : 'mixed feelings');
  }
  return [...found];
}

function moodTrend(sentiments: readonly number[]): string {
  if (sentiments.length < 2) return '';
  const first = sentiments[0] ?? 0;
  const last = sentiments[sentiments.length - 1] ?? 0;
  if (last - first >= 1) return 'The tone of your messages became lighter over the session.';
  if (first - last >= 1) return 'The tone of your messages became heavier over the session; it may help to check in with someone you trust.';
  return 'The tone of your messages stayed fairly steady.';
}

export function techniquesOf(persona: Persona | undefined): string[] {
  return persona ? [persona.modality, ...persona.techniques] : [];
}

/** The offline, extractive summary (used without an LLM, for incognito sessions, and as the fallback). */
export function offlineSummary(input: SummaryInput): SessionSummaryContent {
  const { persona, userMessages, sentiments, incognito } = input;
  const emotions = sessionEmotions(userMessages, sentiments);
  const techniques = techniquesOf(persona);
  const who = persona ? `${persona.name} (${persona.modality})` : 'your Haven companion';
  if (incognito) {
    return {
      summary: `Incognito session with ${who}: no message content was kept, so this summary holds no details. ${moodTrend(sentiments)}`.trim(),
      keyTopics: [],
      emotions,
      techniques,
      nextSteps: ['Notice how you feel over the next day', 'Start a new session whenever you want to continue'],
      memoryThemes: [],
    };
  }
  if (userMessages.length === 0) {
    return { summary: `No messages were exchanged with ${who} in this session.`, keyTopics: [], emotions: [], techniques, nextSteps: [], memoryThemes: [] };
  }
  const keyTopics = keyTopicsOf(userMessages);
  const topicText = keyTopics.length > 0 ? ` about ${keyTopics.slice(0, 3).join(', ')}` : '';
  const summary = [
    `You talked with ${who}${topicText} over ${userMessages.length} message${userMessages.length === 1 ? '' : 's'}.`,
    emotions.length > 0 ? `Feelings that came up: ${emotions.join(', ')}.` : '',
    moodTrend(sentiments),
  ]
    .filter(Boolean)
    .join(' ');
  const nextSteps = [
    persona?.techniques[0] ? `Try ${persona.techniques[0]} once a day this week` : 'Take a few minutes each day to check in with yourself',
    keyTopics[0] ? `Notice moments related to "${keyTopics[0]}" and how you respond` : 'Notice what lifts or lowers your mood',
    'Book a follow-up session to continue',
  ];
  // Offline, the most frequent topics are the themes on offer; the memory service's privacy filter
  // drops names, places and specifics, and the client decides.
  return { summary, keyTopics, emotions, techniques, nextSteps, memoryThemes: keyTopics.slice(0, 3) };
}
