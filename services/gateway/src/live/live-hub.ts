import type { Logger } from '@haven/platform';
import type { NatsConnection, Subscription } from 'nats';

/** Something frames can be sent to (a WebSocket). */
export interface FrameSink {
  send(data: string): void;
  readonly readyState: number;
}

const OPEN = 1;

/**
 * Forwards live frames from core NATS to the sockets of this gateway replica. One subscription
 * per subject while at least one local socket wants it; every replica does the same, so a frame
 * reaches a client whichever replica holds its socket (ADR 0005).
 */
export class LiveHub {
  private readonly topics = new Map<string, { sub: Subscription; sinks: Set<FrameSink> }>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  subscribe(subject: string, sink: FrameSink): void {
    let topic = this.topics.get(subject);
    if (!topic) {
      const sub = this.nc.subscribe(subject);
      const sinks = new Set<FrameSink>();
      topic = { sub, sinks };
      this.topics.set(subject, topic);
      void (async () => {
        for await (const msg of sub) {
          const text = msg.string();
          for (const s of sinks) {
            if (s.readyState === OPEN) s.send(text);
          }
        }
      })().catch((err: unknown) => this.logger.warn({ err, subject }, 'live subscription ended'));
    }
    topic.sinks.add(sink);
  }

  unsubscribe(subject: string, sink: FrameSink): void {
    const topic = this.topics.get(subject);
    if (!topic) return;
    topic.sinks.delete(sink);
    if (topic.sinks.size === 0) {
      topic.sub.unsubscribe();
      this.topics.delete(subject);
    }
  }

  unsubscribeAll(sink: FrameSink): void {
    for (const subject of [...this.topics.keys()]) this.unsubscribe(subject, sink);
  }

  /** Publishes a frame to every replica's sockets on the subject. */
  publish(subject: string, frame: Record<string, unknown>): void {
    this.nc.publish(subject, JSON.stringify(frame));
  }

  get subjectCount(): number {
    return this.topics.size;
  }
}

export const sessionSubject = (sessionId: string) => `live.session.${sessionId}`;
export const ONCALL_SUBJECT = 'live.oncall';
/** Frames for one user wherever they are connected (session reminders). */
export const userSubject = (userId: string) => `live.user.${userId}`;
