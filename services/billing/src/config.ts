import { commonSettings, mongoSettings, natsSettings, redisSettings } from '@haven/platform';

export const billingConfig = { ...commonSettings, ...natsSettings, ...mongoSettings, ...redisSettings };
