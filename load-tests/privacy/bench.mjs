#!/usr/bin/env node
// Cost of crypto-shredding on the message path (ADR 0008): sealing and opening chat messages with
// the per-user data key (@haven/platform DataKeyCipher, AES-256-GCM), with the key cached (the
// common case) and with a key lookup that takes `--lookup-ms` (a memory.GetDataKey round trip,
// simulated: this bench needs no servers).
//
//   node load-tests/privacy/bench.mjs [--messages N] [--lookup-ms MS]
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { DataKeyCipher } = require(join(here, '../../libs/platform/dist/index.js'));
const args = process.argv.slice(2);
const arg = (flag, fallback) => (args.includes(flag) ? Number(args[args.indexOf(flag) + 1]) : fallback);
const messages = arg('--messages', 20_000);
const lookupMs = arg('--lookup-ms', 1);

const keys = new Map();
let lookups = 0;
const source = {
  async get(userId) {
    lookups += 1;
    if (lookupMs > 0) await new Promise((r) => setTimeout(r, lookupMs));
    if (!keys.has(userId)) keys.set(userId, { keyId: `k-${userId}`, key: randomBytes(32) });
    return { status: 'active', ...keys.get(userId) };
  },
};

const texts = ['I feel anxious about tomorrow', 'Work has been exhausting this week and I keep replaying the meeting in my head.', 'ok'.repeat(1), 'x'.repeat(4000)];
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const ms = (ns) => (Number(ns) / 1e6).toFixed(3);

async function run(label, cipher, userOf) {
  const seal = [];
  const open = [];
  for (let i = 0; i < messages; i++) {
    const userId = userOf(i);
    const text = texts[i % texts.length];
    let t = process.hrtime.bigint();
    const sealed = await cipher.encrypt(userId, text);
    seal.push(process.hrtime.bigint() - t);
    t = process.hrtime.bigint();
    const back = await cipher.decrypt(userId, sealed);
    open.push(process.hrtime.bigint() - t);
    if (back !== text) throw new Error('round trip failed');
  }
  seal.sort((a, b) => (a < b ? -1 : 1));
  open.sort((a, b) => (a < b ? -1 : 1));
  console.log(`${label.padEnd(34)} seal p50 ${ms(pct(seal, 50))} ms  p99 ${ms(pct(seal, 99))} ms | open p50 ${ms(pct(open, 50))} ms  p99 ${ms(pct(open, 99))} ms`);
}

console.log(`${messages} messages (short, sentence, 4,000 characters mixed); key lookup ${lookupMs} ms when not cached`);
await run('one user, key cached (60 s TTL)', new DataKeyCipher(source, { cacheTtlMs: 60_000 }), () => 'u1');
await run('1,000 users, keys cached', new DataKeyCipher(source, { cacheTtlMs: 60_000 }), (i) => `u${i % 1000}`);
const before = lookups;
await run('no cache (every call looks up)', new DataKeyCipher(source, { cacheTtlMs: 0 }), () => 'u1');
console.log(`lookups without cache: ${lookups - before} for ${messages * 2} operations`);
