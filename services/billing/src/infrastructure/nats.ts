import { aggregateSubject, oneofCodec, streamNameFor, type EventCodec, type StoredEvent } from '@haven/eventstore';
import { eventsV1, identityV1, sessionV1 } from '@haven/proto';
import type { JetStreamManager, NatsConnection } from 'nats';
import type { LiveFrame, LiveFrames, SessionHeads } from '../application/ports';
import type { SessionFact } from '../application/metering';
import type { MeterEvent } from '../domain/metering';

/** Live frames on core NATS (not events): the gateway forwards them to the session's sockets. */
export class NatsLiveFrames implements LiveFrames {
  constructor(private readonly nc: NatsConnection) {}
  publish(sessionId: string, frame: LiveFrame): void {
    // A lost frame is tolerable (ADR 0005): the next minute sends the balance again.
    this.nc.publish(`live.session.${sessionId}`, JSON.stringify(frame));
  }
}

const NO_MESSAGE = 10037;

/** The session's newest version, read from the stream leader (never a lagging follower). */
export class StreamSessionHeads implements SessionHeads {
  constructor(private readonly jsm: JetStreamManager) {}
  async version(sessionId: string): Promise<number> {
    try {
      const m = await this.jsm.streams.getMessage(streamNameFor('session'), { last_by_subj: aggregateSubject('session', sessionId) });
      return eventsV1.EventEnvelope.decode(m.data).version;
    } catch (err) {
      const code = (err as { api_error?: { err_code?: number } }).api_error?.err_code;
      if (code === NO_MESSAGE || (err as { code?: string }).code === '404') return 0;
      throw err;
    }
  }
}

const strictSessionCodec = oneofCodec('session', sessionV1.SessionEvent);
type KnownSessionEvent = typeof strictSessionCodec extends EventCodec<infer E> ? E : never;
/** A session event this build has no case for: metering only needs its version. */
type OtherSessionEvent = { readonly type: 'Other'; readonly name: string; readonly data: undefined };
export type SessionEventWire = KnownSessionEvent | OtherSessionEvent;

/**
 * Session events for metering. Newer event types (the session service evolves on its own) are
 * decoded as 'Other' instead of failing: a dead-lettered event would stall the session's
 * version chain and with it the metering.
 */
export const sessionEventCodec: EventCodec<SessionEventWire> = {
  context: strictSessionCodec.context,
  payloadType: strictSessionCodec.payloadType,
  schemaVersion: strictSessionCodec.schemaVersion,
  typeOf: (e) => (e.type === 'Other' ? e.name : e.type),
  encode: (e) => {
    if (e.type === 'Other') throw new TypeError(`cannot encode session event ${e.name}`);
    return strictSessionCodec.encode(e);
  },
  decode: (payload, info) => {
    if (info.payloadType !== strictSessionCodec.payloadType) return strictSessionCodec.decode(payload, info);
    try {
      return strictSessionCodec.decode(payload, info);
    } catch {
      return { type: 'Other', name: info.type.slice('session.'.length), data: undefined };
    }
  },
};
export const identityEventCodec = oneofCodec('identity', identityV1.IdentityEvent);
export type IdentityEventWire = typeof identityEventCodec extends EventCodec<infer E> ? E : never;

/** What metering needs from a session event: version, and for lifecycle events their business time. */
export function sessionFact(e: StoredEvent<SessionEventWire>): SessionFact {
  const ev = e.event;
  const at = (t: Date | undefined) => t ?? e.occurredAt;
  let meter: MeterEvent | undefined;
  switch (ev.type) {
    case 'SessionStarted':
      meter = { type: 'Started', userId: ev.data.userId, at: at(ev.data.startedAt) };
      break;
    case 'SessionPaused':
      meter = { type: 'Paused', at: at(ev.data.pausedAt) };
      break;
    case 'SessionResumed':
      meter = { type: 'Resumed', at: at(ev.data.resumedAt) };
      break;
    case 'SessionEnded':
      meter = { type: 'Ended', at: at(ev.data.endedAt) };
      break;
    default:
      meter = undefined;
  }
  return { sessionId: e.aggregateId, version: e.version, meter };
}
