import { describe, expect, it } from 'vitest';
import { ChainVerifier, GENESIS_HASH, canonicalJson, chainRecord, type AuditEntry, type AuditRecord } from '../src/domain/audit-record';
import { auditEntryFor } from '../src/domain/classification';
import type { ConsumedEvent, EventMeta } from '../src/domain/consumed-events';
import { computeFunnels, funnelFactsFor } from '../src/domain/funnels';
import { DETECTION_RULES, signalsFor, thresholdsToFlag } from '../src/domain/suspicious-activity';

const at = new Date('2025-03-01T10:00:00.000Z');
const meta = (type: string, over: Partial<EventMeta> = {}): EventMeta => ({
  id: `evt-${type}`,
  type,
  context: type.split('.')[0]!,
  aggregateId: 'agg-1',
  occurredAt: at,
  actor: 'actor-1',
  ...over,
});
const entry = (i: number): AuditEntry => ({
  eventId: `e${i}`,
  eventType: 'identity.LoginFailed',
  context: 'identity',
  aggregateId: 'u1',
  category: 'auth',
  actor: 'u1',
  subjectUserId: 'u1',
  ip: '10.0.0.1',
  severity: 'low',
  result: 'failure',
  at,
  details: { emailHash: 'abc', action: 'login' },
});

function chainOf(n: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (let i = 1; i <= n; i++) out.push(chainRecord(entry(i), out[out.length - 1], at));
  return out;
}

describe('hash chain', () => {
  it('canonical JSON sorts keys at every level and writes dates as ISO', () => {
    expect(canonicalJson({ b: 1, a: { d: at, c: [2, 'x'] } })).toBe('{"a":{"c":[2,"x"],"d":"2025-03-01T10:00:00.000Z"},"b":1}');
  });

  it('links records 1..n from the genesis hash and verifies them', () => {
    const chain = chainOf(5);
    expect(chain.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(chain[0]!.prevHash).toBe(GENESIS_HASH);
    expect(chain[3]!.prevHash).toBe(chain[2]!.hash);
    const v = new ChainVerifier();
    chain.forEach((r) => v.check(r));
    expect(v.verdict()).toEqual({ ok: true, checked: 5, headHash: chain[4]!.hash });
  });

  it('reports the first edited record, a re-hashed edit at its successor, and gaps', () => {
    const chain = chainOf(5);
    const edited = chain.map((r) => (r.seq === 3 ? { ...r, actor: 'mallory' } : r));
    const v1 = new ChainVerifier();
    edited.forEach((r) => v1.check(r));
    expect(v1.verdict()).toMatchObject({ ok: false, brokenSeq: 3, brokenId: 'e3', reason: 'hash_mismatch', checked: 3 });

    const rehashed = chain.map((r) => (r.seq === 3 ? chainRecord({ ...entry(3), actor: 'mallory' }, chain[1], at) : r));
    const v2 = new ChainVerifier();
    rehashed.forEach((r) => v2.check(r));
    expect(v2.verdict()).toMatchObject({ ok: false, brokenSeq: 4, reason: 'prev_hash_mismatch' });

    const v3 = new ChainVerifier();
    chain.filter((r) => r.seq !== 2).forEach((r) => v3.check(r));
    expect(v3.verdict()).toMatchObject({ ok: false, brokenSeq: 3, reason: 'seq_gap' });
  });
});

describe('classification', () => {
  it('records a failed login with ip, e-mail hash and reason code; nothing for a message', () => {
    const e: ConsumedEvent = { type: 'identity.LoginFailed', data: { userId: '', ip: '10.1.1.1', emailHash: 'h1', reasonCode: 'unknown_email' } };
    expect(auditEntryFor(e, meta('identity.LoginFailed'))).toMatchObject({
      eventId: 'evt-identity.LoginFailed',
      actor: 'anonymous',
      ip: '10.1.1.1',
      severity: 'low',
      result: 'failure',
      category: 'auth',
      details: { emailHash: 'h1', reason: 'unknown_email', action: 'login' },
    });
    const m: ConsumedEvent = { type: 'conversation.MessagePosted', data: { sessionId: 's', userId: 'u', messageId: 'm' } };
    expect(auditEntryFor(m, meta('conversation.MessagePosted'))).toBeUndefined();
  });

  it('staff creation is an admin change by its creator; crisis alerts take their severity from the risk level', () => {
    const staff: ConsumedEvent = { type: 'identity.UserRegistered', data: { userId: 't1', role: 'therapist', createdBy: 'admin-1' } };
    expect(auditEntryFor(staff, meta('identity.UserRegistered'))).toMatchObject({ category: 'admin', actor: 'admin-1', subjectUserId: 't1', details: { action: 'staff_created', role: 'therapist' } });
    const alert: ConsumedEvent = { type: 'safety.CrisisAlertRaised', data: { alertId: 'a', sessionId: 's', userId: 'u', riskLevel: 'high_risk' } };
    expect(auditEntryFor(alert, meta('safety.CrisisAlertRaised'))?.severity).toBe('critical');
  });

  it('recognises events newer than this build by name only (exports, erasure, admin changes)', () => {
    expect(auditEntryFor({ type: 'other', eventType: 'memory.UserDataExported' }, meta('memory.UserDataExported'))).toMatchObject({ category: 'privacy', details: { action: 'data_export' }, actor: 'actor-1' });
    expect(auditEntryFor({ type: 'other', eventType: 'billing.PlanConfigUpdated' }, meta('billing.PlanConfigUpdated'))?.details).toEqual({ action: 'admin_change' });
    expect(auditEntryFor({ type: 'other', eventType: 'session.PhaseChanged' }, meta('session.PhaseChanged'))).toBeUndefined();
  });
});

describe('suspicious activity', () => {
  it('a failed login feeds the account and the IP window', () => {
    const e: ConsumedEvent = { type: 'identity.LoginFailed', data: { userId: '', ip: '1.2.3.4', emailHash: 'h', reasonCode: '' } };
    expect(signalsFor(e, meta('identity.LoginFailed')).map((s) => [s.rule.kind, s.subject])).toEqual([
      ['failed_logins_account', 'email:h'],
      ['failed_logins_ip', 'ip:1.2.3.4'],
    ]);
  });

  it('flags each threshold once per window', () => {
    const rule = DETECTION_RULES.failed_logins_account;
    const t = at.getTime();
    expect(thresholdsToFlag(rule, 9, t, {})).toEqual([]);
    expect(thresholdsToFlag(rule, 10, t, {})).toEqual(['high']);
    expect(thresholdsToFlag(rule, 11, t + 1000, { high: t + rule.windowMs })).toEqual([]);
    expect(thresholdsToFlag(rule, 30, t + 2000, { high: t + rule.windowMs })).toEqual(['critical']);
    expect(thresholdsToFlag(rule, 10, t + rule.windowMs, { high: t + rule.windowMs })).toEqual(['high']);
  });
});

describe('funnels', () => {
  it('counts subjects that reached every earlier step', () => {
    const reached: Record<string, Set<string>> = {
      'onboarding:registered': new Set(['a', 'b', 'c']),
      'onboarding:first_session_started': new Set(['a', 'b', 'z']),
      'onboarding:first_message': new Set(['a', 'z']),
      'onboarding:first_session_completed': new Set(['a']),
      'session:started': new Set(['s1', 's2']),
      'session:message_sent': new Set(['s1']),
      'session:ended': new Set(['s1', 's2']),
      'session:rated': new Set(['s2']),
    };
    const report = computeFunnels((f, s) => reached[`${f}:${s}`] ?? new Set());
    expect(report).toEqual([
      { name: 'onboarding', steps: [{ name: 'registered', count: 3 }, { name: 'first_session_started', count: 2 }, { name: 'first_message', count: 1 }, { name: 'first_session_completed', count: 1 }] },
      { name: 'session', steps: [{ name: 'started', count: 2 }, { name: 'message_sent', count: 1 }, { name: 'ended', count: 1 }, { name: 'rated', count: 0 }] },
    ]);
  });

  it('a session end completes the onboarding of the session owner', () => {
    const facts = funnelFactsFor({ type: 'session.SessionEnded', data: { sessionId: 's1', rated: true } }, 'u1');
    expect(facts.map((f) => `${f.funnel}:${f.step}:${f.key}`)).toEqual(['session:ended:s1', 'session:rated:s1', 'onboarding:first_session_completed:u1']);
  });
});
