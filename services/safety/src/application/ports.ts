import type { CrisisAlertView, AlertStatus } from '../domain/crisisAlert';
import type { CrisisResource } from '../domain/crisisResources';
import type { RiskLevel, SafetyState } from '../domain/levels';
import type { RemoteVerdict, RiskVerdict } from '../domain/riskCombination';

/** The offline classifier (services/safety/src/classifier): local only, no network; asynchronous because the sentence encoder runs in onnxruntime. */
export type RiskClassifier = (text: string, history: string[]) => RiskVerdict | Promise<RiskVerdict>;

/**
 * A remote check that may add recall (moderation endpoint, LLM prompt). It must give up when
 * `signal` aborts; a rejection counts as "no opinion".
 */
export interface RemoteRiskCheck {
  readonly name: 'moderation' | 'llm';
  check(text: string, history: readonly string[], signal: AbortSignal): Promise<RemoteVerdict>;
}

/** Frames for connected clients and on-call staff (core NATS, see /tmp contracts: live.*). */
export interface LiveFrames {
  safetyStateChanged(sessionId: string, frame: { state: SafetyState; level: RiskLevel | null; resources: CrisisResource[] }): void;
  crisisAlert(alert: CrisisAlertView): void;
}

/** Domain metrics the use cases record (the gauges are derived from the read models elsewhere). */
export interface SafetyRecorder {
  assessed(level: RiskLevel, classifierSeconds: number): void;
  alertRaised(severity: RiskLevel): void;
  alertAcknowledged(secondsSinceRaised: number): void;
}

export interface AlertQuery {
  list(status: AlertStatus | undefined, limit: number): Promise<CrisisAlertView[]>;
}

export interface Clock {
  now(): Date;
}

export type IdGenerator = () => string;
