import { dataKeysFromRpc, type DataKeySource, type GrpcClient } from '@haven/platform';
import type { billingV1, memoryV1 } from '@haven/proto';
import { safetyV1, sessionV1 } from '@haven/proto';
import type { BillingPort, MemoryPort, SafetyPort, SessionPort } from '../application/ports';
import type { CheckpointAnswer, Phase, SafetyLevel, SafetyState, SessionView, TimeMode } from '../domain/session';

const PHASES: Record<number, Phase> = {
  [sessionV1.Phase.PHASE_EMOTIONAL_BASELINE]: 'emotional_baseline',
  [sessionV1.Phase.PHASE_AGENDA]: 'agenda',
  [sessionV1.Phase.PHASE_EXPLORATION]: 'exploration',
  [sessionV1.Phase.PHASE_CHECKPOINT]: 'checkpoint',
  [sessionV1.Phase.PHASE_INTEGRATION]: 'integration',
  [sessionV1.Phase.PHASE_CLOSING]: 'closing',
  [sessionV1.Phase.PHASE_ENDED]: 'ended',
};
const TIME_MODES: Record<number, TimeMode> = {
  [sessionV1.TimeMode.TIME_MODE_SHORT]: 'short',
  [sessionV1.TimeMode.TIME_MODE_STANDARD]: 'standard',
  [sessionV1.TimeMode.TIME_MODE_EXTENDED]: 'extended',
};
const CHECKPOINT: Record<CheckpointAnswer, sessionV1.CheckpointAnswer> = {
  better: sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_BETTER,
  same: sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_SAME,
  worse: sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_WORSE,
};
const LEVELS: Record<number, SafetyLevel> = {
  [safetyV1.RiskLevel.RISK_LEVEL_NORMAL]: 'NORMAL',
  [safetyV1.RiskLevel.RISK_LEVEL_WATCH]: 'WATCH',
  [safetyV1.RiskLevel.RISK_LEVEL_ELEVATED_CONCERN]: 'ELEVATED_CONCERN',
  [safetyV1.RiskLevel.RISK_LEVEL_HIGH_RISK]: 'HIGH_RISK',
};
const STATES: Record<number, SafetyState> = {
  [safetyV1.SafetyState.SAFETY_STATE_NORMAL]: 'NORMAL',
  [safetyV1.SafetyState.SAFETY_STATE_WATCH]: 'WATCH',
  [safetyV1.SafetyState.SAFETY_STATE_ELEVATED]: 'ELEVATED',
  [safetyV1.SafetyState.SAFETY_STATE_SAFETY_MODE]: 'SAFETY_MODE',
};

export function sessionViewOf(s: sessionV1.Session): SessionView {
  return {
    id: s.id,
    userId: s.userId,
    personaId: s.personaId,
    // Unknown phase/time mode (a newer session service): the most neutral choice.
    phase: PHASES[s.phase] ?? 'exploration',
    timeMode: TIME_MODES[s.timeMode] ?? 'standard',
    plannedMinutes: s.plannedDurationMinutes,
    secondsRemaining: s.secondsRemaining,
    forceClosing: s.forceClosing,
    reason: s.reason,
    baselineMood: s.baselineMood,
    incognito: s.incognito,
    messageCount: s.messageCount,
  };
}

export function sessionPort(client: GrpcClient<sessionV1.SessionServiceClient>, deadlineMs: number): SessionPort {
  return {
    async recordUserMessage(req) {
      const res = await client.unary((c) => c.recordUserMessage, 'RecordUserMessage', {
        sessionId: req.sessionId,
        userId: req.userId,
        messageId: req.messageId,
        checkpointAnswer: req.checkpointAnswer ? CHECKPOINT[req.checkpointAnswer] : sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_UNSPECIFIED,
      }, { deadlineMs });
      if (!res.session) throw new Error('RecordUserMessage returned no session');
      return sessionViewOf(res.session);
    },
  };
}

export function safetyPort(client: GrpcClient<safetyV1.SafetyServiceClient>, deadlineMs: number): SafetyPort {
  return {
    async assess(req) {
      const res = await client.unary((c) => c.assess, 'Assess', {
        sessionId: req.sessionId,
        userId: req.userId,
        messageId: req.messageId,
        text: req.text,
        history: [...req.history],
        locale: req.locale,
      }, { deadlineMs });
      const level = LEVELS[res.level];
      // An answer without a level is no assessment: fail closed like an outage.
      if (!level) throw new Error(`safety.Assess returned no risk level (${res.level})`);
      return { level, state: STATES[res.state] ?? 'NORMAL', resources: res.resources };
    },
  };
}

export function billingPort(client: GrpcClient<billingV1.BillingServiceClient>, deadlineMs: number): BillingPort {
  return {
    async authorize(req) {
      const res = await client.unary((c) => c.authorize, 'Authorize', {
        userId: req.userId,
        sessionId: req.sessionId,
        personaId: req.personaId,
        messageLength: req.messageLength,
        messageId: req.messageId,
      }, { deadlineMs });
      return { allowed: res.allowed, refusalCode: res.refusalCode, message: res.message };
    },
  };
}

/** Data keys from memory.GetDataKey for the DataKeyCipher. */
export function memoryDataKeys(client: GrpcClient<memoryV1.MemoryServiceClient>, deadlineMs: number): DataKeySource {
  return dataKeysFromRpc((req) => client.unary((c) => c.getDataKey, 'GetDataKey', req, { deadlineMs }));
}

export function memoryPort(client: GrpcClient<memoryV1.MemoryServiceClient>, deadlineMs: number): MemoryPort {
  return {
    async approvedThemes(req) {
      const res = await client.unary((c) => c.getApprovedMemories, 'GetApprovedMemories', { userId: req.userId, personaId: req.personaId }, { deadlineMs });
      return res.memories.map((m) => m.text);
    },
    async proposeThemes(req) {
      const res = await client.unary((c) => c.proposeMemories, 'ProposeMemories', {
        userId: req.userId,
        personaId: req.personaId,
        sessionId: req.sessionId,
        themes: [...req.themes],
      }, { deadlineMs });
      return { proposed: res.memories.length, dropped: res.dropped };
    },
  };
}
