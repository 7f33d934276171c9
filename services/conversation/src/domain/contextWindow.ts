/** One turn of the conversation as the model sees it (plaintext). */
export interface Turn {
  readonly speaker: 'user' | 'ai' | 'system';
  readonly content: string;
}

export interface ContextWindow {
  /** The last turns, verbatim, oldest first. */
  readonly recent: readonly Turn[];
  /** An extractive recap of the older turns; '' when everything fits. */
  readonly recap: string;
}

export const RECENT_TURNS = 12;
const RECAP_MAX_CHARS = 600;

function firstSentence(text: string): string {
  const trimmed = text.replace(/\s+/g, ' ').trim();
  const m = /^(.{1,160}?[.!?])(\s|$)/.exec(trimmed);
  const sentence = m?.[1] ?? trimmed.slice(0, 160);
  return sentence.length < trimmed.length && !m ? `${sentence}…` : sentence;
}

/**
 * Keeps the most recent turns verbatim and compresses the older ones into a recap of what the
 * client said (first sentence of each earlier user turn), bounded in length — an offline,
 * deterministic summary that keeps long sessions inside the model's context window.
 */
export function buildContextWindow(turns: readonly Turn[], recentTurns = RECENT_TURNS): ContextWindow {
  if (turns.length <= recentTurns) return { recent: turns, recap: '' };
  const older = turns.slice(0, turns.length - recentTurns);
  const said = older.filter((t) => t.speaker === 'user' && t.content.trim() !== '').map((t) => firstSentence(t.content));
  let recap = '';
  for (const s of said) {
    const next = recap === '' ? `The client said: "${s}"` : `${recap}; "${s}"`;
    if (next.length > RECAP_MAX_CHARS) break;
    recap = next;
  }
  return { recent: turns.slice(turns.length - recentTurns), recap: recap === '' ? '' : `${recap}.` };
}
