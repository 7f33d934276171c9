/** The session as the conversation sees it (mapped from session.RecordUserMessage at the edge). */
export type Phase = 'emotional_baseline' | 'agenda' | 'exploration' | 'checkpoint' | 'integration' | 'closing' | 'ended';
export type TimeMode = 'short' | 'standard' | 'extended';
export type CheckpointAnswer = 'better' | 'same' | 'worse';

export interface SessionView {
  readonly id: string;
  readonly userId: string;
  readonly personaId: string;
  readonly phase: Phase;
  readonly timeMode: TimeMode;
  readonly plannedMinutes: number;
  readonly secondsRemaining: number;
  readonly forceClosing: boolean;
  readonly reason: string;
  /** 1-10; 0 when the client gave none. */
  readonly baselineMood: number;
  readonly incognito: boolean;
  readonly messageCount: number;
}

export type SafetyLevel = 'NORMAL' | 'WATCH' | 'ELEVATED_CONCERN' | 'HIGH_RISK';
export type SafetyState = 'NORMAL' | 'WATCH' | 'ELEVATED' | 'SAFETY_MODE';

export interface CrisisResource {
  readonly name: string;
  readonly phone: string;
  readonly text: string;
  readonly url: string;
}

export interface SafetyAssessment {
  readonly level: SafetyLevel;
  readonly state: SafetyState;
  readonly resources: readonly CrisisResource[];
}

/** HIGH_RISK or an ongoing safety mode interrupts therapy: the crisis protocol replaces the reply. */
export function needsCrisisProtocol(a: { level: SafetyLevel; state: SafetyState }): boolean {
  return a.level === 'HIGH_RISK' || a.state === 'SAFETY_MODE';
}
