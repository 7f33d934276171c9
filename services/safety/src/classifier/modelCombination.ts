import { LEXICON } from './lexicon';
import { levelRank, type RiskLevel } from './riskLevel';
import type { LevelOdds } from './statisticalModel';
import type { Sentence } from './sentenceAnalysis';

/**
 * How the trained model may change the rules' level. The rules stay the floor: the model
 * can only raise a level, and only where the rules' own guards allow it. An idiom, a negated
 * act, fiction, professional talk or someone else's past is a frame the model does not see
 * through reliably (it learned from words, and those frames use the same words), so inside
 * them the model may at most add WATCH.
 */
export interface ModelThresholds {
  /** Log2 odds of HIGH_RISK (against all other levels) above which the model calls HIGH_RISK. */
  readonly high: number;
  /** Log2 odds of HIGH_RISK + ELEVATED_CONCERN needed for the model to call ELEVATED_CONCERN. */
  readonly elevated: number;
  /** Log2 odds of HIGH_RISK above which an ELEVATED_CONCERN with an intent/plan/means/time cue becomes HIGH_RISK. */
  readonly tieBreakHigh: number;
  /** Log2 odds of WATCH above which a NORMAL becomes WATCH. */
  readonly watch: number;
}

// Chosen by 5-fold cross-validation (scripts/evaluate.mjs --cv): recall barely moves above 0, false alarms fall until ~8.
export const DEFAULT_THRESHOLDS: ModelThresholds = { high: 4, elevated: 8, tieBreakHigh: -4, watch: 4 };

/** Frames inside which risk words do not mean the user's own risk (see SAFETY_LEVELS.md). */
const VETO_FRAMES = ['denies_intent', 'idiom', 'hyperbole', 'negated:self_harm', 'media_context', 'professional_context', 'third_person_past', 'gaming_context'] as const;

/** Rule signals that are themselves a risk cue. */
const RISK_SIGNALS = [
  'self_harm_intent', 'self_harm_in_progress', 'overdose_taken', 'ideation', 'death_intent', 'passive_death_wish', 'method',
  'method_access', 'method_research', 'preparatory_act', 'plan', 'timeframe_imminent', 'goodbye', 'finality', 'vague_intent',
  'burden', 'recent_self_harm', 'recent_attempt', 'harm_to_other', 'danger_from_other', 'third_party_risk', 'third_party_concern',
] as const;

/** Cues that make an unsure ELEVATED_CONCERN a HIGH_RISK: intent, plan, means, a time, preparation. */
const ACT_CUES = ['timeframe_imminent', 'method', 'method_access', 'plan', 'vague_intent', 'preparatory_act', 'goodbye', 'finality'] as const;

/** Death, self-harm, method, means and farewell words beyond the lexicon classes. A time word alone is not a cue. */
const EXTRA_RISK_WORDS = new Set(`gone last letter letters note notes farewell forever decide decided end ending jump jumping hang
  hanging hose helium garage motorway train trains tracks fence overdose od belongings loose unalive kms kys final funeral grave
  bury goodbye disappear vanish bleed bleeding knot beam loft stool pier bullet trigger lighter burning smother`.split(/\s+/));

const RISK_CLASSES = [
  LEXICON.SUICIDE_VERB, LEXICON.SELF_HARM_VERB, LEXICON.SUICIDE_NOUN, LEXICON.SUICIDE_ADJ, LEXICON.DIE, LEXICON.LIFE,
  LEXICON.METHOD, LEXICON.METHOD_MEANS, LEXICON.WEAPON, LEXICON.GOODBYE, LEXICON.BURDEN,
] as const;

/** Words of a death wish, hopelessness or worthlessness: the cue an ELEVATED_CONCERN from the model needs. */
const HOPELESS_WORDS = new Set(`point hope hopeless gone around disappear exist here miss notice deserve dark thoughts better
  off wake sleep forever burden anymore end`.split(/\s+/));

function isRiskWord(word: string): boolean {
  return EXTRA_RISK_WORDS.has(word) || RISK_CLASSES.some((c) => c.has(word));
}

export interface RiskVocabulary {
  /** A death, self-harm, method, means or farewell word said outright: not negated and not part of an idiom. */
  readonly act: boolean;
  /** Any risk word or a hopelessness word outside an idiom (a negated life-word is a death wish, so negation counts here). */
  readonly despair: boolean;
}

export function riskVocabulary(sentences: readonly Sentence[]): RiskVocabulary {
  let act = false;
  let despair = false;
  for (const s of sentences) {
    for (const t of s.tokens) {
      if (t.idiom) continue;
      const risky = isRiskWord(t.text) || isRiskWord(t.lemma);
      if (risky && !t.negated) act = true;
      if (risky || HOPELESS_WORDS.has(t.text) || HOPELESS_WORDS.has(t.lemma) || LEXICON.HOPELESS.has(t.lemma)) despair = true;
    }
  }
  return { act, despair };
}

export interface CombinationInput {
  readonly ruleLevel: RiskLevel;
  readonly odds: LevelOdds;
  readonly signals: ReadonlySet<string>;
  readonly vocabulary: RiskVocabulary;
  /** Earlier messages of the session carried a risk signal. */
  readonly priorRisk: boolean;
}

export interface Combined {
  readonly level: RiskLevel;
  /** `model:<level>` when the model raised the level, for the people reading the alert. */
  readonly modelSignal?: string;
}

export function combineWithModel(input: CombinationInput, thresholds: ModelThresholds = DEFAULT_THRESHOLDS): Combined {
  const { ruleLevel, odds, signals } = input;
  const has = (code: string): boolean => signals.has(code);
  const vetoed = VETO_FRAMES.some(has) && !RISK_SIGNALS.some((c) => c !== 'method' && c !== 'timeframe_imminent' && has(c));
  const strongSignal = RISK_SIGNALS.some((c) => c !== 'method' && c !== 'timeframe_imminent' && c !== 'vague_intent' && has(c));
  const actCue = input.vocabulary.act || strongSignal || input.priorRisk;
  const despairCue = input.vocabulary.despair || strongSignal || input.priorRisk;
  const riskOdds = Math.max(odds.HIGH_RISK, odds.ELEVATED_CONCERN);

  let modelLevel: RiskLevel = 'NORMAL';
  if (odds.WATCH > thresholds.watch) modelLevel = 'WATCH';
  if (!vetoed && despairCue && riskOdds > thresholds.elevated) modelLevel = 'ELEVATED_CONCERN';
  if (!vetoed && actCue && odds.HIGH_RISK > thresholds.high) modelLevel = 'HIGH_RISK';

  let level: RiskLevel = levelRank(modelLevel) > levelRank(ruleLevel) ? modelLevel : ruleLevel;
  // Unsure between HIGH_RISK and ELEVATED_CONCERN with an act cue: SAFETY_LEVELS.md asks for HIGH_RISK.
  if (level === 'ELEVATED_CONCERN' && !vetoed && ACT_CUES.some(has) && !has('denies_intent') && odds.HIGH_RISK > thresholds.tieBreakHigh) {
    level = 'HIGH_RISK';
  }
  return level === ruleLevel ? { level } : { level, modelSignal: `model:${level}` };
}
