import { commonSettings, mongoSettings, natsSettings } from '@haven/platform';

export const auditConfig = { ...commonSettings, ...natsSettings, ...mongoSettings };
