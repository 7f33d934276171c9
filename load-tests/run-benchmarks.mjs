#!/usr/bin/env node
// `npm run bench`: runs every benchmark under load-tests/ one after another (each bounded).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const benches = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(here, d.name, 'bench.mjs')))
  .map((d) => join(here, d.name, 'bench.mjs'));
let failed = 0;
for (const b of benches) {
  console.log(`\n### ${b.slice(here.length + 1)}`);
  const r = spawnSync(process.execPath, [b, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
