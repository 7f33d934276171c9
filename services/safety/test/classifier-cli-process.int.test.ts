import { spawn } from 'node:child_process';
import { findRepoRoot } from '@haven/testkit';
import { describe, expect, it } from 'vitest';

// The CLI contract as a user runs it: `npm run -s safety:classify` with JSON lines on stdin, all
// written at once (as a pipe does) before the model has loaded.
function runCli(input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const root = findRepoRoot();
  if (!root) throw new Error('repository root not found');
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '-s', 'safety:classify'], { cwd: root, env: { ...process.env, CI: 'true' }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('npm run -s safety:classify (a real process, offline)', () => {
  it('answers every piped line, in order, with level, signals and confidence; bad lines get an error line', async () => {
    const lines = [
      { id: 'plan', text: "I've saved up my pills and I'm taking them all tonight" },
      { id: 'idiom', text: 'this commute is killing me' },
      { id: 7, text: 'tonight', history: ['I have the rope ready', 'nobody will miss me'] },
    ].map((l) => JSON.stringify(l));
    const { code, stdout, stderr } = await runCli(`${lines.join('\n')}\nnot json\n`);
    expect(code, stderr).toBe(0);
    const out = stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: unknown; level?: string; signals?: unknown; confidence?: number; error?: string });
    expect(out.map((o) => o.id)).toEqual(['plan', 'idiom', 7, null]);
    expect(out[0]).toMatchObject({ level: 'HIGH_RISK' });
    expect(out[1]).toMatchObject({ level: 'NORMAL' });
    expect(out[2]).toMatchObject({ level: 'HIGH_RISK' });
    for (const o of out.slice(0, 3)) {
      expect(Array.isArray(o.signals)).toBe(true);
      expect(o.confidence).toBeGreaterThan(0);
      expect(o.confidence).toBeLessThanOrEqual(1);
    }
    expect(out[3]?.error).toMatch(/JSON/);
  }, 120_000);
});
