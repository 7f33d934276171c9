#!/usr/bin/env node
// Prints the configuration tables for the README from the services' own config schemas
// (run after a build): node deploy/local/config-docs.mjs
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { describeConfig, commonSettings, natsSettings, mongoSettings, redisSettings } = require(join(root, 'libs/platform/dist/index.js'));
const shared = new Set(Object.values({ ...commonSettings, ...natsSettings, ...mongoSettings, ...redisSettings }).map((s) => s.env));

console.log('#### Every service\n');
console.log(describeConfig({ ...commonSettings, ...natsSettings, ...mongoSettings, ...redisSettings }));
for (const name of ['gateway', 'session', 'conversation', 'safety', 'billing', 'memory', 'audit']) {
  const mod = require(join(root, `services/${name}/dist/config.js`));
  // Each service exports `<name>Config` (safety also exports the classifier's subset first).
  const spec = mod[`${name}Config`] ?? Object.values(mod)[0];
  const own = Object.fromEntries(Object.entries(spec).filter(([, s]) => !shared.has(s.env)));
  console.log(`\n#### ${name}\n`);
  console.log(describeConfig(own));
}
