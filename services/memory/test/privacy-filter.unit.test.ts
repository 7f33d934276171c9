import { describe, expect, it } from 'vitest';
import { filterTheme } from '../src/domain/privacy-filter';

const text = (theme: string) => {
  const r = filterTheme(theme);
  return r.outcome === 'dropped' ? undefined : r.text;
};

describe('memory privacy filter', () => {
  it.each(['work stress', 'sleep routine', 'setting boundaries', 'anxiety about exams', 'feeling lonely', 'panic attacks at night', 'conflict with my mother', 'my friend group'])(
    'keeps the plain theme %j unchanged',
    (theme) => {
      expect(filterTheme(theme)).toEqual({ outcome: 'kept', text: theme });
    },
  );

  it('removes people and places and keeps the rest', () => {
    const r = filterTheme('my boss John in Leeds');
    expect(r).toMatchObject({ outcome: 'generalised', text: 'my boss' });
    if (r.outcome === 'generalised') expect([...r.removed].sort()).toEqual(['person', 'place']);
    expect(text('my therapist Dr. Patel')).toBe('my therapist');
    expect(text('conflict with Sarah at Google')).toBe('conflict');
    expect(text('feeling lonely after moving to London')).toBe('feeling lonely after moving');
    expect(text('my sister emma')).toBe('my sister');
    expect(text('my friend priya')).toBe('my friend');
    expect(text('problems with Microsoft')).toBe('problems');
  });

  it('drops trauma, abuse and medical specifics entirely', () => {
    for (const theme of ['the assault in 2019', 'abuse as a child', 'was raped by my uncle', 'taking 50mg sertraline', 'my cancer diagnosis', 'suicide attempt last year', 'self-harm', 'HIV status', 'car accident flashbacks']) {
      expect(filterTheme(theme), theme).toEqual({ outcome: 'dropped', reason: 'sensitive_detail' });
    }
  });

  it('drops contact details, empty and oversized themes, and themes with nothing left', () => {
    expect(filterTheme('call me at 07700 900123')).toEqual({ outcome: 'dropped', reason: 'contact_detail' });
    expect(filterTheme('email a@b.com')).toEqual({ outcome: 'dropped', reason: 'contact_detail' });
    expect(filterTheme('   ')).toEqual({ outcome: 'dropped', reason: 'empty' });
    expect(filterTheme('x'.repeat(201))).toEqual({ outcome: 'dropped', reason: 'too_long' });
    expect(filterTheme('John in Leeds')).toEqual({ outcome: 'dropped', reason: 'empty' });
  });

  it('removes dates and numbers', () => {
    expect(text('a hard week in March 2021')).toBe('a hard week');
  });
});
