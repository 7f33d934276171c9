import { describe, expect, it } from 'vitest';
import {
  aggregateSubject,
  assertValidAggregateId,
  createUuidV7Generator,
  deadLetterSubject,
  InvalidAggregateIdError,
  InvalidContextError,
  streamNameFor,
} from '../src/index';

describe('aggregate ids and subjects', () => {
  it.each(['u-1', 'USER_42', 'email-5f2b9c', 'a', 'x'.repeat(200)])('accepts %s', (id) => {
    expect(() => assertValidAggregateId(id)).not.toThrow();
    expect(aggregateSubject('identity', id)).toBe(`identity.evt.${id}`);
  });

  it.each(['', 'a.b', 'a*', '>', 'a b', 'ü', 'a\nb', 'x'.repeat(201)])('rejects %j with a clear error', (id) => {
    expect(() => aggregateSubject('identity', id)).toThrow(InvalidAggregateIdError);
    expect(() => assertValidAggregateId(id)).toThrow(/\[A-Za-z0-9_-\]/);
  });

  it('derives stream names and dead-letter subjects', () => {
    expect(streamNameFor('conversation')).toBe('CONVERSATION');
    expect(deadLetterSubject('sessions-browser', 'session.evt.s-1')).toBe('dlq.sessions-browser.session.evt.s-1');
  });

  it.each(['Identity', 'iden.tity', '', '1st', 'a>'])('rejects context %j', (ctx) => {
    expect(() => streamNameFor(ctx)).toThrow(InvalidContextError);
  });
});

describe('UUIDv7 event ids', () => {
  it('are RFC 9562 version 7 and carry the given time', () => {
    const next = createUuidV7Generator();
    const now = new Date('2025-06-01T12:00:00.000Z');
    const id = next(now);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now.getTime());
  });

  it('increase strictly within one millisecond and when the clock steps back', () => {
    const next = createUuidV7Generator();
    const t = new Date('2025-06-01T12:00:00.000Z');
    const ids = [
      ...Array.from({ length: 5000 }, () => next(t)),
      next(new Date(t.getTime() - 10_000)),
      next(new Date(t.getTime() + 1)),
    ];
    const sorted = [...ids].sort();
    expect(sorted).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
