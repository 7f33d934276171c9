import type { RiskLevel } from './riskLevel';

/**
 * What earlier messages of the session contribute: a method, a plan or intent said before
 * turns a vague "tonight's the night" into HIGH_RISK.
 */
export interface SessionContext {
  readonly priorMethod: boolean;
  readonly priorIntent: boolean;
  readonly priorBurden: boolean;
  readonly priorSelfHarm: boolean;
}

export const NO_SESSION_CONTEXT: SessionContext = { priorMethod: false, priorIntent: false, priorBurden: false, priorSelfHarm: false };

export interface MessageSignals {
  readonly signals: ReadonlySet<string>;
  /** Self-harm intent that was only ever phrased as thoughts ("I think about killing myself"). */
  readonly ideationOnly: boolean;
  /** Word tokens in the message (short replies lean on context). */
  readonly wordCount: number;
}

export interface Decision {
  readonly level: RiskLevel;
  readonly confidence: number;
  /** Context codes that took part in the decision. */
  readonly contextSignals: string[];
}

/** Signals that on their own mean current intent, a plan, an act under way, or immediate danger. */
const HIGH_RISK_DRIVERS = [
  'self_harm_in_progress', 'overdose_taken', 'method_research', 'death_intent', 'goodbye', 'preparatory_act',
  'finality', 'harm_to_other', 'danger_from_other', 'third_party_risk',
] as const;

const ELEVATED_DRIVERS = [
  'passive_death_wish', 'burden', 'hopelessness', 'recent_self_harm', 'recent_attempt', 'unsafe_home',
  'third_party_concern', 'ideation', 'method_access',
] as const;

export function contextFrom(historySignals: ReadonlyArray<ReadonlySet<string>>): SessionContext {
  const any = (...codes: string[]): boolean => historySignals.some((s) => codes.some((c) => s.has(c)));
  const selfHarmIntent = historySignals.some((s) => s.has('self_harm_intent') && !s.has('denies_intent'));
  return {
    priorMethod: any('method_access', 'preparatory_act', 'method_research') || historySignals.some((s) => s.has('method') && (s.has('ideation') || s.has('self_harm_intent') || s.has('passive_death_wish'))),
    priorIntent: selfHarmIntent || any('death_intent', 'passive_death_wish', 'ideation', 'recent_attempt', 'plan', 'hopelessness'),
    priorBurden: any('burden'),
    priorSelfHarm: any('recent_self_harm', 'self_harm_in_progress', 'overdose_taken'),
  };
}

function clamp(x: number): number {
  return Math.round(Math.min(0.99, Math.max(0.05, x)) * 100) / 100;
}

/**
 * The decision table. Ordered from the most to the least severe level; the first rule that
 * fires decides. When unsure between HIGH_RISK and ELEVATED_CONCERN for a first-person
 * self-harm statement, the table errs towards HIGH_RISK.
 */
export function decideLevel(message: MessageSignals, context: SessionContext): Decision {
  const s = message.signals;
  const has = (code: string): boolean => s.has(code);
  const count = (codes: readonly string[]): number => codes.filter(has).length;
  const contextSignals: string[] = [];

  const intentDenied = has('self_harm_intent') && message.ideationOnly && has('denies_intent') && !has('timeframe_imminent') && !has('method_access') && !has('plan') && !has('preparatory_act');
  const selfHarmIntent = has('self_harm_intent') && !intentDenied;
  const deathWishLike = has('passive_death_wish') || has('hopelessness') || has('burden') || has('ideation');
  const highDrivers = count(HIGH_RISK_DRIVERS) + (selfHarmIntent ? 1 : 0);

  let high = highDrivers > 0;
  if (!high && has('burden') && (has('timeframe_imminent') || has('vague_intent'))) high = true;
  if (!high && has('plan') && (deathWishLike || has('method'))) high = true;
  if (!high && has('method_access') && (deathWishLike || has('timeframe_imminent') || has('vague_intent'))) high = true;
  if (!high && has('passive_death_wish') && has('vague_intent')) high = true;
  if (!high && has('recent_attempt') && (has('vague_intent') || has('plan') || has('timeframe_imminent'))) high = true;

  // Context from earlier messages.
  const priorRisk = context.priorMethod || context.priorIntent || context.priorBurden || context.priorSelfHarm;
  if (priorRisk) {
    if (context.priorMethod) contextSignals.push('context:prior_method');
    if (context.priorIntent) contextSignals.push('context:prior_intent');
    if (context.priorBurden) contextSignals.push('context:prior_burden');
    if (context.priorSelfHarm) contextSignals.push('context:prior_self_harm');
  }
  // After a method was acquired, any time reference is read as a possible plan; other priors need a short, vague reply.
  // "I feel steadier now" after a crisis is a report of relief, not a time for a plan.
  const timeReference = has('timeframe_imminent') && !has('feels_better') && (message.wordCount <= 6 || context.priorMethod);
  const resolvesEarlierRisk = has('vague_intent') || has('plan') || has('method_access') || has('finality') || timeReference;
  const contextEscalates = !high && priorRisk && resolvesEarlierRisk;

  if (high || contextEscalates) {
    const corroboration = count(['timeframe_imminent', 'method', 'plan', 'vague_intent', 'passive_death_wish', 'hopelessness', 'burden']) + contextSignals.length;
    return { level: 'HIGH_RISK', confidence: clamp(0.7 + 0.06 * (highDrivers + corroboration) - (has('idiom') || has('hyperbole') ? 0.1 : 0)), contextSignals };
  }

  const elevatedDrivers = count(ELEVATED_DRIVERS) + (intentDenied ? 1 : 0);
  const contextKeepsElevated = priorRisk && (has('distress') || resolvesEarlierRisk);
  if (elevatedDrivers > 0 || contextKeepsElevated) {
    return { level: 'ELEVATED_CONCERN', confidence: clamp(0.6 + 0.07 * elevatedDrivers - (has('denies_intent') ? 0.05 : 0)), contextSignals: contextKeepsElevated && elevatedDrivers === 0 ? contextSignals : [] };
  }

  if (has('distress') || has('past_self_harm')) {
    return { level: 'WATCH', confidence: clamp(0.6 + (has('distress') && has('past_self_harm') ? 0.1 : 0) + (has('idiom') ? -0.05 : 0.05)), contextSignals: [] };
  }

  const ambiguity = count(['idiom', 'hyperbole', 'negated:self_harm', 'media_context', 'professional_context', 'third_person_past', 'method', 'timeframe_imminent', 'vague_intent']);
  return { level: 'NORMAL', confidence: clamp(0.9 - 0.08 * ambiguity), contextSignals: [] };
}
