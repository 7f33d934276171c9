// Vitest globalSetup for the int and e2e projects (referenced from the root vitest.config.mts as
// libs/testkit/dist/global-setup.js). It runs in the main vitest process: the servers start once,
// the URLs go into process.env, and the test workers, forked afterwards, inherit them.
//
// The compiled file is CommonJS and vitest imports it as ESM, where `default` is module.exports:
// so the module *is* the setup function (`export =`), which vitest accepts as the default export.
//
// When two projects use this file in one run, the second setup finds the URLs already in
// process.env and reuses those servers instead of starting another set.
import { startInfra, type InfraServer } from './infra';

/** The part of vitest's TestProject this setup uses (kept structural so the lib doesn't depend on vitest). */
interface GlobalSetupProject {
  provide?: (key: never, value: never) => void;
}

function progress(line: string): void {
  process.stderr.write(`[harness] ${line}\n`);
}

function progressLine(server: InfraServer): string {
  switch (server.origin) {
    case 'process':
      return `${server.name} ready on ${server.address} (${server.startupMs} ms)`;
    case 'container':
      return `${server.name} container ready on ${server.address} (${server.startupMs} ms)`;
    case 'environment':
      return `${server.role} from ${server.name} (${server.address})`;
    default: {
      const unreachable: never = server.origin;
      return String(unreachable);
    }
  }
}

async function setup(project?: GlobalSetupProject): Promise<() => Promise<void>> {
  const infra = await startInfra({
    onServerReady: (server) => progress(progressLine(server)),
    onNotice: progress,
  });
  const provide = project?.provide as ((key: string, value: string) => void) | undefined;
  for (const [name, url] of Object.entries(infra.env)) {
    process.env[name] = url;
    // Also available through inject('NATS_URL') etc. in tests.
    provide?.(name, url);
  }
  return async () => {
    const startedAt = performance.now();
    await infra.stop();
    progress(`infrastructure stopped (${Math.round(performance.now() - startedAt)} ms)`);
  };
}

export = setup;
