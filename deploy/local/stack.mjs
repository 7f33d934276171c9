#!/usr/bin/env node
// The local stack behind `npm run up`: NATS JetStream, Redis and FerretDB with data under
// .haven/data, the seven Haven services as supervised processes (prefixed logs, restart on crash),
// a seeded admin account, and a clean stop on Ctrl-C.
//
//   node deploy/local/stack.mjs            run until Ctrl-C
//   node deploy/local/stack.mjs --smoke    start, check /api/v1/monitoring/health, stop (exit 0/1)
//
// Environment: HAVEN_HTTP_PORT (8080), HAVEN_NATS_PORT (4222), HAVEN_REDIS_PORT (6379),
// HAVEN_MONGO_PORT (27017), LOG_LEVEL (info), OPENAI_API_KEY / OPENAI_BASE_URL / OPENAI_MODEL.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const testkitEntry = join(root, 'libs/testkit/dist/index.js');
if (!existsSync(testkitEntry)) {
  console.error('[stack] the build is missing: run `npm run up` (it installs and builds first) or `npm run build`.');
  process.exit(1);
}
const { startInfra, startPlatform, SERVICE_NAMES } = require(testkitEntry);

const smoke = process.argv.includes('--smoke');
const dataRoot = join(root, '.haven/data');
mkdirSync(dataRoot, { recursive: true });

const useColour = process.stdout.isTTY && !process.env.NO_COLOR;
const COLOURS = [36, 35, 33, 32, 34, 31, 96, 95, 93, 92];
const width = Math.max(...[...SERVICE_NAMES, 'nats', 'redis', 'mongo', 'stack'].map((n) => n.length));
const names = [...SERVICE_NAMES, 'nats', 'redis', 'mongo', 'stack'];
const prefix = (name) => {
  const label = name.padEnd(width);
  return useColour ? `\x1b[${COLOURS[names.indexOf(name) % COLOURS.length]}m${label}\x1b[0m |` : `${label} |`;
};
/** pino JSON → "12:00:01 info  message key=value"; anything else is printed as it is. */
function compact(line) {
  if (!line.startsWith('{')) return line;
  try {
    const { time, level, msg, service: _s, trace_id: _t, span_id: _sp, ...rest } = JSON.parse(line);
    const extra = Object.entries(rest).filter(([k]) => !['pid', 'hostname'].includes(k)).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');
    const t = typeof time === 'string' ? time.slice(11, 19) : '';
    return `${t} ${String(level).padEnd(5)} ${msg ?? ''}${extra ? ` ${extra}` : ''}`;
  } catch {
    return line;
  }
}
const log = (name, line) => process.stdout.write(`${prefix(name)} ${compact(line)}\n`);
const say = (msg) => log('stack', msg);

// The seeded admin: generated once, kept with the local data so it survives restarts.
const adminFile = join(dataRoot, 'admin.json');
if (!existsSync(adminFile)) {
  writeFileSync(adminFile, JSON.stringify({ email: 'admin@haven.local', password: randomBytes(12).toString('base64url') }, null, 2), { mode: 0o600 });
}
const admin = JSON.parse(readFileSync(adminFile, 'utf8'));

const port = (name, fallback) => Number(process.env[name] ?? fallback);
let infra;
let platform;
let stopping = false;

async function stop(code) {
  if (stopping) return;
  stopping = true;
  say('stopping services…');
  await platform?.stop().catch((e) => say(`error stopping services: ${e.message}`));
  say('stopping servers…');
  await infra?.stop().catch((e) => say(`error stopping servers: ${e.message}`));
  say('stopped');
  process.exit(code);
}
process.on('SIGINT', () => (stopping ? process.exit(130) : void stop(0)));
process.on('SIGTERM', () => void stop(0));

try {
  say(`starting servers (data in ${join('.haven', 'data')})`);
  infra = await startInfra({
    ports: { nats: port('HAVEN_NATS_PORT', 4222), redis: port('HAVEN_REDIS_PORT', 6379), mongo: port('HAVEN_MONGO_PORT', 27017) },
    dataRoot,
    persistent: true,
    onServerReady: (s) => log(s.role, `${s.name} ready on ${s.address} (${s.startupMs} ms)`),
    onNotice: (m) => say(m),
  });
  say('starting services…');
  const started = Date.now();
  platform = await startPlatform({
    natsUrl: infra.env.NATS_URL,
    redisUrl: infra.env.REDIS_URL,
    mongoUrl: infra.env.MONGO_URL,
    ports: 'local',
    httpPort: port('HAVEN_HTTP_PORT', 8080),
    restartOnCrash: true,
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', HAVEN_ENV: 'development' },
    serviceEnv: { gateway: { SEED_ADMIN_EMAIL: admin.email, SEED_ADMIN_PASSWORD: admin.password } },
    onOutput: (service, line) => log(service, line),
    onEvent: (service, message) => log(service, `[supervisor] ${message}`),
  });
  say(`all services ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const health = await fetch(`${platform.gatewayUrl}/api/v1/monitoring/health`).then((r) => r.json());
  const down = [...Object.entries(health.services), ...Object.entries(health.dependencies)].filter(([, v]) => v.status !== 'ok');
  const lines = [
    '',
    '  Haven is running.',
    `    Gateway:   ${platform.gatewayUrl}`,
    `    API docs:  ${platform.gatewayUrl}/docs`,
    `    Health:    ${platform.gatewayUrl}/api/v1/monitoring/health  (${down.length === 0 ? 'all 7 services and 3 servers ok' : `DOWN: ${down.map(([n]) => n).join(', ')}`})`,
    `    Admin:     ${admin.email} / ${admin.password}   (kept in .haven/data/admin.json)`,
    `    Metrics:   http://127.0.0.1:9461/metrics (gateway) … 9467 (audit)`,
    '  Press Ctrl-C to stop.',
    '',
  ];
  for (const l of lines) process.stdout.write(`${l}\n`);
  if (smoke) await stop(down.length === 0 ? 0 : 1);
} catch (err) {
  say(`failed: ${err.message}`);
  if (err.output?.length) for (const l of err.output.slice(-15)) say(`  ${l}`);
  await stop(1);
}
