import { handleCommand, type AppendMeta, type EventStorePort } from '@haven/eventstore';
import { DomainError, errors } from '@haven/platform';
import { alertView, crisisAlertDecider, type AlertStatus, type CrisisAlertView } from '../domain/crisisAlert';
import { crisisResourcesFor, showsCrisisResources } from '../domain/crisisResources';
import { alertAggregateId, type SafetyEvent } from '../domain/events';
import type { RiskLevel } from '../domain/levels';
import { sessionSafetyDecider } from '../domain/sessionSafety';
import type { AlertQuery, Clock, IdGenerator, LiveFrames, SafetyRecorder } from './ports';

export interface AlertWorkflowDeps {
  store: EventStorePort<SafetyEvent>;
  alerts: AlertQuery;
  frames: LiveFrames;
  recorder: SafetyRecorder;
  clock: Clock;
  newId: IdGenerator;
}

export interface AlertToRaise {
  alertId: string;
  sessionId: string;
  userId: string;
  severity: RiskLevel;
  signals: string[];
  messageId: string;
}

const ID = /^[A-Za-z0-9_-]{1,200}$/;
const MAX_NOTE = 4000;
const LIST_LIMIT = 500;
const STATUSES: readonly AlertStatus[] = ['open', 'acknowledged', 'resolved'];
// Raising an alert races a concurrent resolution at most once or twice in practice.
const MAX_RELINKS = 3;

function requireId(value: string, field: string): string {
  if (!ID.test(value)) throw errors.invalidArgument('INVALID_ID', `${field} must be 1-200 characters of [A-Za-z0-9_-]`);
  return value;
}

/** The crisis alert lifecycle: raise/escalate (from assessments), acknowledge, resolve, list. */
export class AlertWorkflow {
  constructor(private readonly deps: AlertWorkflowDeps) {}

  private meta(actor: string): AppendMeta {
    return { actor, now: this.deps.clock.now() };
  }

  /**
   * Raises the session's alert, or escalates it when it is still open (one open alert per
   * session). If it was resolved meanwhile, the session is linked to a fresh alert instead.
   */
  async raiseForSession(a: AlertToRaise): Promise<CrisisAlertView> {
    let alertId = a.alertId;
    for (let attempt = 0; ; attempt += 1) {
      try {
        const r = await handleCommand({
          store: this.deps.store,
          aggregateId: alertAggregateId(alertId),
          decider: crisisAlertDecider,
          command: { type: 'RaiseAlert', data: { ...a, alertId, now: this.deps.clock.now() } },
          meta: this.meta('safety'),
        });
        const view = alertView(r.newState);
        if (!view) throw new Error(`alert ${alertId} has no state after RaiseAlert`);
        for (const e of r.events) {
          if (e.event.type === 'CrisisAlertRaised') this.deps.recorder.alertRaised(e.event.data.severity);
        }
        if (r.events.length > 0) this.deps.frames.crisisAlert(view);
        return view;
      } catch (err) {
        if (!(err instanceof DomainError && err.code === 'ALERT_ALREADY_RESOLVED') || attempt >= MAX_RELINKS) throw err;
        const linked = await handleCommand({
          store: this.deps.store,
          aggregateId: a.sessionId,
          decider: sessionSafetyDecider,
          command: { type: 'LinkAlert', data: { sessionId: a.sessionId, alertId: this.deps.newId(), replacedAlertId: alertId } },
          meta: this.meta('safety'),
        });
        this.announceStateChanges(a.sessionId, linked.events.map((e) => e.event), linked.newState);
        alertId = linked.newState.openAlertId ?? alertId;
      }
    }
  }

  async acknowledge(alertIdInput: string, staffIdInput: string): Promise<CrisisAlertView> {
    const alertId = requireId(alertIdInput, 'alert_id');
    const staffId = requireId(staffIdInput, 'staff_id');
    const r = await handleCommand({
      store: this.deps.store,
      aggregateId: alertAggregateId(alertId),
      decider: crisisAlertDecider,
      command: { type: 'AcknowledgeAlert', data: { alertId, staffId, now: this.deps.clock.now() } },
      meta: this.meta(staffId),
    });
    const view = alertView(r.newState)!;
    for (const e of r.events) {
      if (e.event.type === 'CrisisAlertAcknowledged') {
        this.deps.recorder.alertAcknowledged(Math.max(0, (e.event.data.acknowledgedAt.getTime() - view.raisedAt.getTime()) / 1000));
      }
    }
    this.deps.frames.crisisAlert(view);
    return view;
  }

  /** Resolves the alert, then takes its session out of SAFETY_MODE (to ELEVATED). */
  async resolve(alertIdInput: string, staffIdInput: string, noteInput: string): Promise<CrisisAlertView> {
    const alertId = requireId(alertIdInput, 'alert_id');
    const staffId = requireId(staffIdInput, 'staff_id');
    const note = noteInput.trim();
    if (note.length > MAX_NOTE) throw errors.invalidArgument('NOTE_TOO_LONG', `note must be at most ${MAX_NOTE} characters`);
    let view: CrisisAlertView;
    try {
      const r = await handleCommand({
        store: this.deps.store,
        aggregateId: alertAggregateId(alertId),
        decider: crisisAlertDecider,
        command: { type: 'ResolveAlert', data: { alertId, staffId, note, now: this.deps.clock.now() } },
        meta: this.meta(staffId),
      });
      view = alertView(r.newState)!;
      this.deps.frames.crisisAlert(view);
    } catch (err) {
      // A resolve whose release step failed earlier is retried by the caller: finish the release
      // (idempotent), then report the conflict as usual.
      if (err instanceof DomainError && err.code === 'ALERT_ALREADY_RESOLVED') {
        const { events } = await this.deps.store.load(alertAggregateId(alertId));
        const state = events.reduce((s, e) => crisisAlertDecider.evolve(s, e.event), crisisAlertDecider.initialState());
        if (state.status !== 'none') await this.releaseSession(state.sessionId, alertId, staffId);
      }
      throw err;
    }
    await this.releaseSession(view.sessionId, alertId, staffId);
    return view;
  }

  async list(statusInput: string): Promise<CrisisAlertView[]> {
    const status = statusInput === '' ? undefined : STATUSES.find((s) => s === statusInput);
    if (statusInput !== '' && status === undefined) throw errors.invalidArgument('INVALID_STATUS', 'status must be open, acknowledged or resolved');
    return this.deps.alerts.list(status, LIST_LIMIT);
  }

  private async releaseSession(sessionId: string, alertId: string, staffId: string): Promise<void> {
    const r = await handleCommand({
      store: this.deps.store,
      aggregateId: sessionId,
      decider: sessionSafetyDecider,
      command: { type: 'ReleaseSafetyMode', data: { sessionId, alertId } },
      meta: this.meta(staffId),
    });
    this.announceStateChanges(sessionId, r.events.map((e) => e.event), r.newState);
  }

  /** One safety_state_changed frame for the last state change among `events`. */
  announceStateChanges(sessionId: string, events: readonly SafetyEvent[], after: { lastLevel: RiskLevel | undefined; locale: string }): void {
    const changes = events.filter((e) => e.type === 'SafetyStateChanged');
    const last = changes[changes.length - 1];
    if (!last) return;
    const level = after.lastLevel ?? null;
    const resources = showsCrisisResources(last.data.to, level) ? crisisResourcesFor(after.locale) : [];
    this.deps.frames.safetyStateChanged(sessionId, { state: last.data.to, level, resources });
  }
}

export { ID as AGGREGATE_ID_PATTERN };
