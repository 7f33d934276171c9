import { commonSettings, mongoSettings, natsSettings, redisSettings, setting, types } from '@haven/platform';

export const sessionConfig = {
  ...commonSettings,
  ...natsSettings,
  ...mongoSettings,
  ...redisSettings,
  secondsPerMinute: setting({
    env: 'SESSION_SECONDS_PER_MINUTE',
    schema: types.int(1, 60),
    default: '60',
    doc: 'length of "a minute" in seconds; every session duration and timer threshold scales with it (tests shrink it)',
  }),
  timerPollMs: setting({
    env: 'SESSION_TIMER_POLL_MS',
    schema: types.int(20, 60_000),
    default: '1000',
    doc: 'how often each replica polls the Redis timer queue for due session timers',
  }),
  reminderLeadMinutes: setting({
    env: 'SESSION_REMINDER_LEAD_MINUTES',
    schema: types.int(1, 24 * 60),
    default: '15',
    doc: 'minutes before a scheduled start that its reminder is due',
  }),
  idleMinutes: setting({
    env: 'SESSION_IDLE_MINUTES',
    schema: types.int(1, 24 * 60),
    default: '30',
    doc: 'minutes without user activity after which a live session ends "expired" (and a never-started scheduled one is "missed")',
  }),
  memoryAddr: setting({ env: 'MEMORY_GRPC_ADDR', schema: types.string(), devDefault: '127.0.0.1:50056', doc: 'memory service gRPC address (data keys that seal the session reason)' }),
  upstreamDeadlineMs: setting({ env: 'UPSTREAM_DEADLINE_MS', schema: types.int(100, 60_000), default: '5000', doc: 'deadline for calls to the memory service' }),
};
