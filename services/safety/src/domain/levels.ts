/** Risk of one message (SAFETY_LEVELS.md), lowest first. */
export const RISK_LEVELS = ['NORMAL', 'WATCH', 'ELEVATED_CONCERN', 'HIGH_RISK'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Safety state of a session, lowest first. */
export const SAFETY_STATES = ['NORMAL', 'WATCH', 'ELEVATED', 'SAFETY_MODE'] as const;
export type SafetyState = (typeof SAFETY_STATES)[number];

export function riskRank(level: RiskLevel): number {
  return RISK_LEVELS.indexOf(level);
}

export function stateRank(state: SafetyState): number {
  return SAFETY_STATES.indexOf(state);
}

export function higherRisk(a: RiskLevel, b: RiskLevel): RiskLevel {
  return riskRank(a) >= riskRank(b) ? a : b;
}

/** The state an assessment at this level calls for on its own. */
export function stateCalledFor(level: RiskLevel): SafetyState {
  switch (level) {
    case 'NORMAL':
      return 'NORMAL';
    case 'WATCH':
      return 'WATCH';
    case 'ELEVATED_CONCERN':
      return 'ELEVATED';
    case 'HIGH_RISK':
      return 'SAFETY_MODE';
    default: {
      const never: never = level;
      return never;
    }
  }
}

/** One state down; SAFETY_MODE is never left this way (only by resolving its alert). */
export function oneStateDown(state: SafetyState): SafetyState {
  switch (state) {
    case 'SAFETY_MODE':
      return 'SAFETY_MODE';
    case 'ELEVATED':
      return 'WATCH';
    case 'WATCH':
    case 'NORMAL':
      return 'NORMAL';
    default: {
      const never: never = state;
      return never;
    }
  }
}
