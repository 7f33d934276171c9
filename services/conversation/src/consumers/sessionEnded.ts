import { startProjection, type RunningProjection } from '@haven/eventstore';
import type { Logger } from '@haven/platform';
import type { JetStreamClient, JetStreamManager, NatsConnection } from 'nats';
import type { Registry } from 'prom-client';
import { sessionEventsCodec } from '../infrastructure/codec';

export const SESSION_ENDED_DURABLE = 'conversation-session-ended';

/** Durable consumer of session.evt.>: a SessionEnded triggers the session summary. */
export function startSessionEndedConsumer(opts: {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  logger: Logger;
  registry?: Registry;
  summarise: (sessionId: string) => Promise<unknown>;
}): Promise<RunningProjection> {
  return startProjection({
    nc: opts.nc,
    js: opts.js,
    jsm: opts.jsm,
    name: SESSION_ENDED_DURABLE,
    stream: 'SESSION',
    filterSubjects: ['session.evt.>'],
    codec: sessionEventsCodec,
    logger: opts.logger,
    ...(opts.registry ? { registry: opts.registry } : {}),
    // Summaries may wait on the LLM: a few at a time is enough.
    concurrency: 2,
    handle: async (e) => {
      if (e.event.type !== 'SessionEnded') return;
      const outcome = await opts.summarise(e.aggregateId);
      opts.logger.info({ sessionId: e.aggregateId, outcome }, 'session summary');
    },
  });
}
