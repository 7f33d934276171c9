/**
 * Polls `probe` until it returns something other than undefined (or the time is up). A probe that
 * throws counts as "not yet"; the last error is named in the timeout message. For tests that wait
 * on projections, consumers and timers of real servers.
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  options: number | { timeoutMs?: number; what?: string; intervalMs?: number } = {},
): Promise<T> {
  const { timeoutMs = 15_000, what = 'condition', intervalMs = 150 } = typeof options === 'number' ? { timeoutMs: options } : options;
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > until) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
