import { randomInt } from 'node:crypto';

const BASE_DELAY_MS = 10;
const MAX_DELAY_MS = 500;

/**
 * Waits a random time up to 10 ms · 2^(retry-1), capped at 500 ms ("full jitter"): writers that
 * lost the same race spread out instead of colliding again.
 */
export function jitteredBackoff(retry: number): Promise<void> {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, Math.min(retry - 1, 16)));
  return new Promise((resolve) => setTimeout(resolve, randomInt(1, Math.ceil(ceiling) + 1)));
}
