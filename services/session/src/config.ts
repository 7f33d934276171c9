import { commonSettings, mongoSettings, natsSettings, redisSettings } from '@haven/platform';

export const sessionConfig = { ...commonSettings, ...natsSettings, ...mongoSettings, ...redisSettings };
