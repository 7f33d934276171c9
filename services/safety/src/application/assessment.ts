import { handleCommand, type EventStorePort } from '@haven/eventstore';
import { errors, type Logger } from '@haven/platform';
import { crisisResourcesFor, showsCrisisResources, type CrisisResource } from '../domain/crisisResources';
import type { SafetyEvent } from '../domain/events';
import { ALERT_AGGREGATE_PREFIX } from '../domain/events';
import type { RiskLevel, SafetyState } from '../domain/levels';
import { combineVerdicts, type RemoteVerdict } from '../domain/riskCombination';
import { initialSessionSafety, sessionSafetyDecider, type SessionSafetyState } from '../domain/sessionSafety';
import type { AlertWorkflow } from './alertWorkflow';
import type { Clock, IdGenerator, RemoteRiskCheck, RiskClassifier, SafetyRecorder } from './ports';

export const MAX_TEXT_CHARS = 10_000;
/** Earlier messages given to the classifiers as context (the most recent ones). */
export const HISTORY_CONTEXT = 20;
/** Upper bound for the remote checks when the caller allows more. */
export const DEFAULT_REMOTE_BUDGET_MS = 1_500;
/** Kept back from the caller's deadline for recording the assessment and answering. */
export const DEFAULT_DEADLINE_RESERVE_MS = 250;
/** Below this, remote checks are not worth starting. */
const MIN_REMOTE_BUDGET_MS = 50;

const SESSION_ID = /^[A-Za-z0-9_-]{1,200}$/;
const OPAQUE_ID = /^[\x21-\x7e]{1,200}$/;

export interface AssessInput {
  sessionId: string;
  userId: string;
  messageId: string;
  text: string;
  history: string[];
  locale: string;
}

export interface AssessResult {
  level: RiskLevel;
  signals: string[];
  confidence: number;
  state: SafetyState;
  resources: CrisisResource[];
  /** Set when the assessment raised or escalated a crisis alert. */
  alertId?: string;
}

export interface AssessmentDeps {
  store: EventStorePort<SafetyEvent>;
  classify: RiskClassifier;
  remoteChecks: readonly RemoteRiskCheck[];
  alerts: AlertWorkflow;
  recorder: SafetyRecorder;
  clock: Clock;
  newId: IdGenerator;
  logger: Logger;
  remoteBudgetMs?: number;
  deadlineReserveMs?: number;
  /** Schedules a background retry of a failed alert raise (default: setTimeout). */
  retryLater?: (fn: () => Promise<void>, delayMs: number) => void;
}

function validate(input: AssessInput): void {
  if (!SESSION_ID.test(input.sessionId) || input.sessionId.startsWith(ALERT_AGGREGATE_PREFIX)) {
    throw errors.invalidArgument('INVALID_SESSION_ID', 'session_id must be 1-200 characters of [A-Za-z0-9_-]');
  }
  if (!OPAQUE_ID.test(input.userId)) throw errors.invalidArgument('INVALID_USER_ID', 'user_id must be 1-200 printable characters');
  if (!OPAQUE_ID.test(input.messageId)) throw errors.invalidArgument('INVALID_MESSAGE_ID', 'message_id must be 1-200 printable characters');
  if (input.text.trim() === '') throw errors.invalidArgument('TEXT_EMPTY', 'text must not be empty');
  if (input.text.length > MAX_TEXT_CHARS) throw errors.invalidArgument('TEXT_TOO_LONG', `text must be at most ${MAX_TEXT_CHARS} characters`);
  if (input.history.some((h) => h.length > MAX_TEXT_CHARS)) throw errors.invalidArgument('HISTORY_TOO_LONG', `each history entry must be at most ${MAX_TEXT_CHARS} characters`);
  if (input.locale.length > 35) throw errors.invalidArgument('INVALID_LOCALE', 'locale must be a BCP 47 tag such as en-GB');
}

/** Resolves with undefined when the signal aborts first, whatever the promise does afterwards. */
function settleWithin<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(undefined);
      },
    );
  });
}

/** Assess: classify (offline floor + optional remote recall within the deadline), record, alert. */
export class Assessment {
  private readonly remoteBudgetMs: number;
  private readonly reserveMs: number;
  private readonly retryLater: (fn: () => Promise<void>, delayMs: number) => void;

  constructor(private readonly deps: AssessmentDeps) {
    this.remoteBudgetMs = deps.remoteBudgetMs ?? DEFAULT_REMOTE_BUDGET_MS;
    this.reserveMs = deps.deadlineReserveMs ?? DEFAULT_DEADLINE_RESERVE_MS;
    this.retryLater = deps.retryLater ?? ((fn, ms) => void setTimeout(() => void fn(), ms).unref());
  }

  async assess(input: AssessInput, call: { deadlineMs: number; signal: AbortSignal }): Promise<AssessResult> {
    validate(input);
    const history = input.history.slice(-HISTORY_CONTEXT);
    const started = performance.now();
    const verdict = await this.classify(input.text, history, call);
    const classifierSeconds = (performance.now() - started) / 1000;

    const r = await handleCommand({
      store: this.deps.store,
      aggregateId: input.sessionId,
      decider: sessionSafetyDecider,
      command: {
        type: 'RecordAssessment',
        data: {
          sessionId: input.sessionId,
          userId: input.userId,
          messageId: input.messageId,
          locale: input.locale,
          level: verdict.level,
          signals: verdict.signals,
          confidence: verdict.confidence,
          classifier: verdict.sources.join('+'),
          proposedAlertId: this.deps.newId(),
        },
      },
      meta: { actor: 'safety', now: this.deps.clock.now() },
    });
    const events = r.events.map((e) => e.event);
    // A retried Assess (same message id) is answered with what was recorded the first time.
    const recorded = r.newState.recent.find((a) => a.messageId === input.messageId);
    if (!recorded) throw new Error('assessment missing from the session state after recording it');
    if (events.length > 0) this.deps.recorder.assessed(recorded.level, classifierSeconds);

    let alertId: string | undefined;
    if (recorded.level === 'HIGH_RISK' && recorded.alertId !== '') {
      alertId = recorded.alertId;
      await this.raiseAlert({ alertId, sessionId: input.sessionId, userId: input.userId, severity: recorded.level, signals: recorded.signals, messageId: input.messageId });
    }
    this.deps.alerts.announceStateChanges(input.sessionId, events, r.newState);

    const state = r.newState.state;
    return {
      level: recorded.level,
      signals: recorded.signals,
      confidence: recorded.confidence,
      state,
      resources: showsCrisisResources(state, recorded.level) ? crisisResourcesFor(input.locale || r.newState.locale) : [],
      ...(alertId ? { alertId } : {}),
    };
  }

  async safetyState(sessionId: string): Promise<SessionSafetyState> {
    if (!SESSION_ID.test(sessionId) || sessionId.startsWith(ALERT_AGGREGATE_PREFIX)) {
      throw errors.invalidArgument('INVALID_SESSION_ID', 'session_id must be 1-200 characters of [A-Za-z0-9_-]');
    }
    const { events } = await this.deps.store.load(sessionId);
    return events.reduce((s, e) => sessionSafetyDecider.evolve(s, e.event), initialSessionSafety());
  }

  private async classify(text: string, history: string[], call: { deadlineMs: number; signal: AbortSignal }) {
    const offline = await this.deps.classify(text, history);
    // Nothing can raise HIGH_RISK further: spare the user the remote round trip.
    if (offline.level === 'HIGH_RISK' || this.deps.remoteChecks.length === 0) return combineVerdicts(offline, []);
    const budget = Math.min(this.remoteBudgetMs, call.deadlineMs - this.reserveMs);
    if (!(budget >= MIN_REMOTE_BUDGET_MS)) return combineVerdicts(offline, []);
    const timeout = AbortSignal.timeout(budget);
    const signal = AbortSignal.any([timeout, call.signal]);
    const results = await Promise.all(
      this.deps.remoteChecks.map((c) =>
        settleWithin(c.check(text, history, signal), signal).then((v) => {
          if (v === undefined) this.deps.logger.warn({ check: c.name, budgetMs: budget }, 'remote risk check gave no answer (timeout or error); offline result stands');
          return v;
        }),
      ),
    );
    return combineVerdicts(offline, results.filter((v): v is RemoteVerdict => v !== undefined));
  }

  /** Raising must not fail the user's crisis response: on error it is retried in the background. */
  private async raiseAlert(a: Parameters<AlertWorkflow['raiseForSession']>[0], attempt = 0): Promise<void> {
    try {
      await this.deps.alerts.raiseForSession(a);
    } catch (err) {
      this.deps.logger.error({ err, sessionId: a.sessionId, alertId: a.alertId, attempt }, 'raising the crisis alert failed; retrying in the background');
      if (attempt < 5) this.retryLater(() => this.raiseAlert(a, attempt + 1), 500 * 2 ** attempt);
    }
  }
}
