import { EventDecodeError, mapCodec, oneofCodec, type EventCodec, type OneofDomainEvent } from '@haven/eventstore';
import { sessionV1 } from '@haven/proto';
import {
  CANCEL_REASONS,
  END_REASONS,
  PHASE_TRIGGERS,
  type CancelReason,
  type EndReason,
  type Phase,
  type PhaseTrigger,
  type SessionEvent,
  type TimeMode,
} from '../domain/events';
import { checkpointAnswerEnum, phaseEnum, timeModeEnum } from './proto-enums';

const wire = oneofCodec('session', sessionV1.SessionEvent);
type WireEvent = OneofDomainEvent<sessionV1.SessionEvent>;

// Protobuf has no null: 0 stands for "not given" in moods, ratings and mood change.
const orZero = (n: number | null): number => n ?? 0;
const orNull = (n: number): number | null => (n === 0 ? null : n);

function bad(what: string): never {
  throw new EventDecodeError(`session event: ${what}`);
}
function time(d: Date | undefined, field: string): Date {
  return d ?? bad(`${field} is missing`);
}
function oneOf<T extends string>(values: readonly T[], value: string, field: string): T {
  return (values as readonly string[]).includes(value) ? (value as T) : bad(`${field} ${JSON.stringify(value)} is unknown`);
}
function phase(p: number, field: string): Phase {
  return phaseEnum.fromProto(p) ?? bad(`${field} phase ${p} is unknown`);
}
function timeMode(m: number): TimeMode {
  return timeModeEnum.fromProto(m) ?? bad(`time mode ${m} is unknown`);
}

function toProto(e: SessionEvent): WireEvent {
  switch (e.type) {
    case 'SessionScheduled':
    case 'SessionReminderDue':
    case 'ForceClosingSet':
    case 'SessionPaused':
    case 'SessionResumed':
    case 'SessionCancelled':
      return e;
    case 'SessionStarted':
      return { type: e.type, data: { ...e.data, baselineMood: orZero(e.data.baselineMood), timeMode: timeModeEnum.toProto(e.data.timeMode) } };
    case 'PhaseChanged':
      return { type: e.type, data: { ...e.data, from: phaseEnum.toProto(e.data.from), to: phaseEnum.toProto(e.data.to) } };
    case 'SessionEnded':
      return {
        type: e.type,
        data: { ...e.data, closingMood: orZero(e.data.closingMood), rating: orZero(e.data.rating), moodChange: orZero(e.data.moodChange) },
      };
    case 'UserMessageRecorded':
      return {
        type: e.type,
        data: {
          ...e.data,
          checkpointAnswer:
            e.data.checkpointAnswer === null
              ? sessionV1.CheckpointAnswer.CHECKPOINT_ANSWER_UNSPECIFIED
              : checkpointAnswerEnum.toProto(e.data.checkpointAnswer),
        },
      };
    default: {
      const never: never = e;
      return never;
    }
  }
}

function fromProto(e: WireEvent): SessionEvent {
  switch (e.type) {
    case 'SessionScheduled':
      return { type: e.type, data: { ...e.data, scheduledAt: time(e.data.scheduledAt, 'scheduledAt') } };
    case 'SessionStarted':
      return {
        type: e.type,
        data: {
          ...e.data,
          baselineMood: orNull(e.data.baselineMood),
          timeMode: timeMode(e.data.timeMode),
          startedAt: time(e.data.startedAt, 'startedAt'),
        },
      };
    case 'SessionPaused':
      return { type: e.type, data: { ...e.data, pausedAt: time(e.data.pausedAt, 'pausedAt') } };
    case 'SessionResumed':
      return { type: e.type, data: { ...e.data, resumedAt: time(e.data.resumedAt, 'resumedAt') } };
    case 'PhaseChanged':
      return {
        type: e.type,
        data: {
          ...e.data,
          from: phase(e.data.from, 'from'),
          to: phase(e.data.to, 'to'),
          trigger: oneOf<PhaseTrigger>(PHASE_TRIGGERS, e.data.trigger, 'trigger'),
        },
      };
    case 'SessionEnded': {
      const closingMood = orNull(e.data.closingMood);
      return {
        type: e.type,
        data: {
          ...e.data,
          reason: oneOf<EndReason>(END_REASONS, e.data.reason, 'end reason'),
          closingMood,
          rating: orNull(e.data.rating),
          // 0 is a real change when both moods were given; without a closing mood there is none.
          moodChange: closingMood === null ? null : e.data.moodChange,
          endedAt: time(e.data.endedAt, 'endedAt'),
        },
      };
    }
    case 'UserMessageRecorded':
      return {
        type: e.type,
        data: {
          ...e.data,
          checkpointAnswer: checkpointAnswerEnum.fromProto(e.data.checkpointAnswer) ?? null,
          recordedAt: time(e.data.recordedAt, 'recordedAt'),
        },
      };
    case 'ForceClosingSet':
      return e;
    case 'SessionReminderDue':
      return { type: e.type, data: { ...e.data, scheduledAt: time(e.data.scheduledAt, 'scheduledAt') } };
    case 'SessionCancelled':
      return {
        type: e.type,
        data: { ...e.data, reason: oneOf<CancelReason>(CANCEL_REASONS, e.data.reason, 'cancel reason'), cancelledAt: time(e.data.cancelledAt, 'cancelledAt') },
      };
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** session.* events: haven.session.v1.SessionEvent on the wire, domain unions inside. */
export const sessionCodec: EventCodec<SessionEvent> = mapCodec(wire, toProto, fromProto);
