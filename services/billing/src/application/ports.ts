import type { PlanName, PlanTable } from '../domain/plans';
import type { MeterState } from '../domain/metering';

/** What Authorize and GetBalance read: the balances projection (MongoDB). */
export interface AccountView {
  readonly userId: string;
  readonly plan: PlanName;
  readonly trialEndsAt: Date | undefined;
  readonly balance: number;
  readonly used: number;
  /** `YYYY-MM` of the newest monthly (or sign-up) grant. */
  readonly lastGrantPeriod: string | undefined;
}

export interface AccountReadModel {
  get(userId: string): Promise<AccountView | undefined>;
  countLowBalance(threshold: number): Promise<number>;
}

export interface PlanConfigSource {
  current(): { plans: PlanTable; version: number };
}

/** Messages per user per UTC day (Redis). */
export interface DailyCounter {
  /** Counts one message (once per messageId when given) and returns the day's count including it. */
  increment(userId: string, day: string, messageId: string): Promise<number>;
  /** Takes back a count made by increment (the message was refused). */
  decrement(userId: string, day: string, messageId: string): Promise<void>;
  get(userId: string, day: string): Promise<number>;
}

export type LiveFrame =
  | { type: 'credit_update'; remaining: number; used: number }
  | { type: 'session_warning'; kind: 'low_credits' | 'out_of_credits_grace'; message: string };

export interface LiveFrames {
  publish(sessionId: string, frame: LiveFrame): void;
}

export interface SessionEnder {
  endOutOfCredits(sessionId: string, userId: string): Promise<void>;
}

/** Metering state per session (Redis), written under a version guard. */
export interface MeterStore {
  get(sessionId: string): Promise<{ version: number; state: MeterState | undefined }>;
  /** Writes version `next` when the stored version is still `expected`; false when someone else moved it. */
  compareAndSet(sessionId: string, expected: number, next: number, state: MeterState | undefined): Promise<boolean>;
  /** Sets a per-session flag once; true for the caller that set it. */
  flagOnce(sessionId: string, flag: 'low' | 'grace'): Promise<boolean>;
  clearFlag(sessionId: string, flag: 'low' | 'grace'): Promise<void>;
}

export type TimerKind = 'minute' | 'grace';
export interface Timer {
  readonly sessionId: string;
  readonly kind: TimerKind;
  /** For minute timers: the minute that starts. */
  readonly minute: number;
}

export interface TimerQueue {
  schedule(timer: Timer, dueMs: number): Promise<void>;
}

/** The SESSION stream's newest version of one session (what the metering state must have caught up with). */
export interface SessionHeads {
  version(sessionId: string): Promise<number>;
}
