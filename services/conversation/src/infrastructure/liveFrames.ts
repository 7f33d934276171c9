import type { Logger } from '@haven/platform';
import type { NatsConnection } from 'nats';
import type { LiveFrames } from '../application/ports';

export const liveSubject = (sessionId: string) => `live.session.${sessionId}`;

/** Publishes live frames on core NATS (ADR 0005); a lost frame is tolerable, so failures are only logged. */
export function natsLiveFrames(nc: NatsConnection, logger: Logger): LiveFrames {
  return {
    publish(frame) {
      try {
        nc.publish(liveSubject(frame.sessionId), JSON.stringify(frame));
      } catch (err) {
        logger.warn({ type: frame.type, err: err instanceof Error ? err.message : String(err) }, 'live frame not published');
      }
    },
  };
}
