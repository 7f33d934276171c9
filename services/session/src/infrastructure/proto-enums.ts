import { sessionV1 } from '@haven/proto';
import type { CheckpointAnswer, Phase, TimeMode } from '../domain/events';
import type { SessionStatus } from '../domain/session';

/** The one place where domain string unions meet protobuf enum numbers. */
function bimap<D extends string, P extends number>(table: Record<D, P>) {
  const back = new Map<number, D>(Object.entries(table).map(([d, p]) => [p as number, d as D]));
  return {
    toProto: (d: D): P => table[d],
    fromProto: (p: number): D | undefined => back.get(p),
  };
}

export const phaseEnum = bimap<Phase, sessionV1.Phase>({
  emotional_baseline: sessionV1.Phase.PHASE_EMOTIONAL_BASELINE,
  agenda: sessionV1.Phase.PHASE_AGENDA,
  exploration: sessionV1.Phase.PHASE_EXPLORATION,
  checkpoint: sessionV1.Phase.PHASE_CHECKPOINT,
  integration: sessionV1.Phase.PHASE_INTEGRATION,
  closing: sessionV1.Phase.PHASE_CLOSING,
  ended: sessionV1.Phase.PHASE_ENDED,
});

export const timeModeEnum = bimap<TimeMode, sessionV1.TimeMode>({
  short: sessionV1.TimeMode.TIME_MODE_SHORT,
  standard: sessionV1.TimeMode.TIME_MODE_STANDARD,
  extended: sessionV1.TimeMode.TIME_MODE_EXTENDED,
});

export const checkpointAnswerEnum = bimap<CheckpointAnswer, sessionV1.CheckpointAnswer>({
  better: sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_BETTER,
  same: sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_SAME,
  worse: sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_WORSE,
});

export const statusEnum = bimap<SessionStatus, sessionV1.SessionStatus>({
  scheduled: sessionV1.SessionStatus.SESSION_STATUS_SCHEDULED,
  active: sessionV1.SessionStatus.SESSION_STATUS_ACTIVE,
  paused: sessionV1.SessionStatus.SESSION_STATUS_PAUSED,
  completed: sessionV1.SessionStatus.SESSION_STATUS_COMPLETED,
  cancelled: sessionV1.SessionStatus.SESSION_STATUS_CANCELLED,
});
