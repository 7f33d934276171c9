import { commonSettings, mongoSettings, natsSettings, redisSettings, setting, types } from '@haven/platform';
import { z } from 'zod';

export const billingConfig = {
  ...commonSettings,
  ...natsSettings,
  ...mongoSettings,
  ...redisSettings,
  sessionAddr: setting({ env: 'SESSION_GRPC_ADDR', schema: types.string(), devDefault: '127.0.0.1:50052', doc: 'session service gRPC address (EndSession when credits run out)' }),
  secondsPerMinute: setting({
    env: 'BILLING_SECONDS_PER_MINUTE',
    schema: z.coerce.number({ error: 'must be a number' }).min(0.05).max(3600),
    default: '60',
    doc: 'length of one billed minute in seconds; tests shrink it, production keeps 60',
  }),
  graceSeconds: setting({
    env: 'BILLING_GRACE_SECONDS',
    schema: types.int(0, 3600),
    default: '60',
    doc: 'grace after credits reach zero before the session is ended, in billed seconds (scaled with BILLING_SECONDS_PER_MINUTE)',
  }),
  lowCreditsThreshold: setting({ env: 'BILLING_LOW_CREDITS_THRESHOLD', schema: types.int(0, 1_000_000), default: '10', doc: 'remaining credits at or below which a low_credits warning is sent and the account counts as low' }),
  trialDays: setting({ env: 'BILLING_TRIAL_DAYS', schema: types.int(1, 365), default: '14', doc: 'default trial length when an admin moves an account to the trial plan' }),
  timerPollMs: setting({ env: 'BILLING_TIMER_POLL_MS', schema: types.int(10, 10_000), default: '250', doc: 'how often each instance polls the Redis minute/grace timers' }),
  tickToleranceMs: setting({
    env: 'BILLING_TICK_TOLERANCE_MS',
    schema: types.int(0, 10_000),
    default: '1000',
    doc: 'a minute is debited only once it has been active this long (capped at a quarter of a minute): covers session events still in flight',
  }),
};
