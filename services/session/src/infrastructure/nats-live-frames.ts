import type { NatsConnection } from 'nats';
import type { LiveFrame, LiveFramePublisher } from '../application/ports';

export const liveSubject = (sessionId: string): string => `live.session.${sessionId}`;
export const userLiveSubject = (userId: string): string => `live.user.${userId}`;

/** JSON frames on core NATS; every gateway replica forwards them to its sockets (ADR 0005). */
export class NatsLiveFramePublisher implements LiveFramePublisher {
  constructor(private readonly nc: NatsConnection) {}

  publish(sessionId: string, frame: LiveFrame): void {
    this.nc.publish(liveSubject(sessionId), JSON.stringify(frame));
  }

  publishToUser(userId: string, frame: LiveFrame): void {
    this.nc.publish(userLiveSubject(userId), JSON.stringify(frame));
  }
}
