import { describe, expect, it } from 'vitest';
import { SubjectScheduler } from '../src/subjectScheduler';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('SubjectScheduler', () => {
  it('runs one key at a time in order, different keys concurrently, within the bound', async () => {
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    const perKeyRunning = new Map<string, number>();
    const scheduler = new SubjectScheduler<{ key: string; n: number }>(3, 100, async ({ key, n }) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      perKeyRunning.set(key, (perKeyRunning.get(key) ?? 0) + 1);
      expect(perKeyRunning.get(key)).toBe(1);
      await tick(1 + ((n * 7) % 5));
      log.push(`${key}:${n}`);
      perKeyRunning.set(key, (perKeyRunning.get(key) ?? 0) - 1);
      running -= 1;
    });
    for (let n = 0; n < 10; n += 1) {
      for (const key of ['a', 'b', 'c', 'd', 'e']) scheduler.push(key, { key, n });
    }
    await scheduler.whenIdle();
    expect(maxRunning).toBe(3);
    for (const key of ['a', 'b', 'c', 'd', 'e']) {
      const order = log.filter((l) => l.startsWith(`${key}:`)).map((l) => Number(l.split(':')[1]));
      expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
  });

  it('keeps going after a failing task and hands back what has not started', async () => {
    const done: number[] = [];
    const scheduler = new SubjectScheduler<number>(1, 10, async (n) => {
      await tick(2);
      if (n === 0) throw new Error('boom');
      done.push(n);
    });
    scheduler.push('k', 0);
    scheduler.push('k', 1);
    scheduler.push('j', 2);
    await tick(1);
    const taken = scheduler.takeQueued();
    expect(taken.sort()).toEqual([1, 2]);
    await scheduler.whenIdle();
    expect(done).toEqual([]);
    scheduler.push('k', 3);
    await scheduler.whenIdle();
    expect(done).toEqual([3]);
  });

  it('signals capacity only below maxPending', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const scheduler = new SubjectScheduler<number>(1, 2, () => gate);
    scheduler.push('a', 1);
    scheduler.push('b', 2);
    let free = false;
    const capacity = scheduler.whenCapacity().then(() => {
      free = true;
    });
    await tick(5);
    expect(free).toBe(false);
    release();
    await capacity;
    expect(free).toBe(true);
    await scheduler.whenIdle();
  });
});
