import { describe, expect, it } from 'vitest';
import { buildContextWindow, type Turn } from '../src/domain/contextWindow';
import { crisisProtocolMessage } from '../src/domain/crisisProtocol';
import { replyMessageId, userMessageId } from '../src/domain/messageIds';
import { offlineReply } from '../src/domain/offlineResponder';
import { FREE_PERSONA_IDS, PERSONAS, personaById, VOICE_AVATAR_IDS } from '../src/domain/personas';
import { CLOSE_NOW_INSTRUCTION, compilePrompt, type PromptInput } from '../src/domain/prompt';
import { classifyCheckpointAnswer, emotionsIn, sentimentOf } from '../src/domain/sentiment';
import type { Phase } from '../src/domain/session';
import { offlineSummary } from '../src/domain/summary';
import { decideTranscript, evolveTranscript, initialTranscript, type ConversationCommand, type ConversationEvent, type TranscriptState } from '../src/domain/transcript';

describe('personas', () => {
  it('has 14 personas with unique ids, exactly 3 free: alex, sarah, michael', () => {
    expect(PERSONAS).toHaveLength(14);
    expect(new Set(PERSONAS.map((p) => p.id)).size).toBe(14);
    expect(PERSONAS.filter((p) => p.free).map((p) => p.id).sort()).toEqual([...FREE_PERSONA_IDS].sort());
  });
  it('marks the four voice avatars, Emma paid', () => {
    expect(PERSONAS.filter((p) => p.voiceAvatar).map((p) => p.id).sort()).toEqual([...VOICE_AVATAR_IDS].sort());
    expect(personaById('emma').free).toBe(false);
  });
  it('gives every persona a modality, approach, style, techniques and do/avoid lists', () => {
    for (const p of PERSONAS) {
      expect(p.name && p.specialty && p.approach && p.style && p.modality).toBeTruthy();
      expect(p.techniques.length).toBeGreaterThan(0);
      expect(p.do.length).toBeGreaterThan(0);
      expect(p.avoid.length).toBeGreaterThan(0);
    }
    expect(new Set(PERSONAS.map((p) => p.modality)).size).toBeGreaterThanOrEqual(12);
  });
});

const base = (over: Partial<PromptInput['session']> = {}, rest: Partial<PromptInput> = {}): PromptInput => ({
  persona: personaById('alex'),
  session: { phase: 'exploration', timeMode: 'standard', plannedMinutes: 30, secondsRemaining: 1200, forceClosing: false, reason: 'work stress', baselineMood: 4, ...over },
  ...rest,
});

describe('prompt compiler', () => {
  it('puts safety rules, phase, depth budget, length, crisis protocol and disclaimer in the system prompt, in priority order', () => {
    const { system } = compilePrompt(base());
    expect(system).toContain('not a therapist and not a medical device');
    expect(system).toMatch(/Rule priority \(highest first\): 1\. global safety rules > 2\. time mode > 3\. phase rules > 4\. persona guide > 5\. session plan/);
    const order = ['## 1. Global safety rules', '## 2. Time mode', '## 3. Current phase', '## 4. Persona guide', '## 5. Session plan'].map((h) => system.indexOf(h));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(system).toContain('Depth budget: moderate');
    expect(system).toContain('Response length:');
    expect(system).toContain('Are you safe right now?');
    expect(system).toContain('Current phase: Exploration (exploration)');
  });

  it('puts mode, time left, persona style, reason, baseline mood and output instructions in the developer prompt', () => {
    const { developer, system } = compilePrompt(base());
    expect(developer).toContain('Mode: standard; phase: exploration.');
    expect(developer).toContain('30 minutes planned; 20 minutes remaining');
    expect(developer).toContain(personaById('alex').style);
    expect(developer).toContain("Client's stated reason: work stress.");
    expect(developer).toContain('Baseline mood: 4/10.');
    expect(developer).toContain('Validate the client’s feeling first.');
    expect(developer).toContain('Ask exactly one question');
    expect(developer).toContain('CBT');
    expect(developer).toContain('Force closing: no.');
    expect(system).not.toContain('work stress');
  });

  it('closing + forceClosing → a close-now instruction', () => {
    const { developer, system } = compilePrompt(base({ phase: 'closing', forceClosing: true, secondsRemaining: 120 }));
    expect(developer).toContain(CLOSE_NOW_INSTRUCTION);
    expect(system).toContain('Current phase: Closing');
  });

  it('checkpoint → asks how they feel compared to the start', () => {
    const { system } = compilePrompt(base({ phase: 'checkpoint' }));
    expect(system).toContain('Ask how they feel now compared to the start of the session');
  });

  it('has no memory block without memories, and one with them', () => {
    expect(compilePrompt(base()).developer).not.toContain('Memory from earlier sessions');
    expect(compilePrompt(base({}, { memories: [] })).developer).not.toContain('Memory from earlier sessions');
    const withMemory = compilePrompt(base({}, { memories: ['Finds walks calming'] })).developer;
    expect(withMemory).toContain('Memory from earlier sessions');
    expect(withMemory).toContain('- Finds walks calming');
  });

  it('sizes depth and length by time mode, and says when mood or reason are missing', () => {
    const short = compilePrompt(base({ timeMode: 'short', reason: '', baselineMood: 0 }));
    expect(short.system).toContain('Depth budget: light');
    expect(short.system).toContain('at most 60 words');
    expect(short.developer).toContain('stated reason: not given');
    expect(short.developer).toContain('Baseline mood: not given');
  });
});

describe('offline responder', () => {
  const input = { persona: personaById('alex'), phase: 'exploration' as Phase, forceClosing: false, reason: '', userMessage: 'I am so anxious about work' };
  it('is deterministic', () => {
    expect(offlineReply(input)).toBe(offlineReply(input));
  });
  it('reflects the feeling and follows the phase', () => {
    expect(offlineReply(input)).toContain('worry');
    expect(offlineReply({ ...input, phase: 'checkpoint' })).toContain('compared to when we started');
    expect(offlineReply({ ...input, phase: 'closing', forceClosing: true })).toContain('close now');
  });
  it('varies by persona modality in exploration', () => {
    const replies = new Set(['alex', 'sarah', 'michael', 'emma', 'noah'].map((id) => offlineReply({ ...input, persona: personaById(id) })));
    expect(replies.size).toBeGreaterThanOrEqual(4);
  });
});

describe('sentiment and checkpoint answers', () => {
  it('scores messages with the AFINN lexicon, clamped to -5..5', () => {
    expect(sentimentOf('I feel great and happy')).toBeGreaterThan(0);
    expect(sentimentOf('awful terrible horrible miserable disaster')).toBe(-5);
  });
  it.each([
    ['A bit better, thanks', 'better'],
    ['I feel calmer now', 'better'],
    ['Honestly worse than before', 'worse'],
    ['about the same really', 'same'],
    ['not better', 'same'],
    ['no real change', 'same'],
    ['I am feeling wonderful and hopeful', 'better'],
    ['everything is awful and I hate it', 'worse'],
    ['ok', 'same'],
  ])('%s → %s', (text, expected) => {
    expect(classifyCheckpointAnswer(text)).toBe(expected);
  });
  it('finds emotions from the lexicon', () => {
    expect(emotionsIn('I feel lonely and anxious')).toEqual(['anxiety', 'loneliness']);
  });
});

describe('context window', () => {
  it('keeps the last 12 turns verbatim and recaps older user turns', () => {
    const turns: Turn[] = Array.from({ length: 20 }, (_, i) => ({ speaker: i % 2 === 0 ? 'user' : 'ai', content: `Message ${i}. More text.` }));
    const w = buildContextWindow(turns);
    expect(w.recent).toHaveLength(12);
    expect(w.recent[0]?.content).toBe('Message 8. More text.');
    expect(w.recap).toContain('"Message 0."');
    expect(w.recap).not.toContain('Message 1.');
    expect(buildContextWindow(turns.slice(0, 5)).recap).toBe('');
  });
});

describe('crisis protocol message', () => {
  it('asks whether they are safe and lists the resources', () => {
    const text = crisisProtocolMessage([{ name: 'Samaritans', phone: '116 123', text: '', url: 'https://www.samaritans.org' }]);
    expect(text).toContain('Are you safe right now?');
    expect(text).toContain('Samaritans: call 116 123, https://www.samaritans.org');
  });
});

describe('offline summary', () => {
  it('extracts topics, emotions, techniques and next steps', () => {
    const s = offlineSummary({
      persona: personaById('alex'),
      userMessages: ['Work deadlines make me anxious', 'My manager keeps changing deadlines', 'I feel a bit calmer now'],
      sentiments: [-2, -1, 1],
      incognito: false,
    });
    expect(s.keyTopics).toContain('deadlines');
    expect(s.emotions).toEqual(expect.arrayContaining(['anxiety', 'calm']));
    expect(s.techniques).toContain('CBT');
    expect(s.nextSteps.length).toBeGreaterThan(0);
    expect(s.summary).toContain('Alex');
  });
  it('holds no content for incognito sessions', () => {
    const s = offlineSummary({ persona: personaById('alex'), userMessages: [], sentiments: [-1], incognito: true });
    expect(s.keyTopics).toEqual([]);
    expect(s.summary).toContain('Incognito');
  });
});

describe('message ids', () => {
  it('are deterministic UUIDv5-style ids per (session, clientMessageId)', () => {
    const a = userMessageId('s1', 'c1');
    expect(a).toBe(userMessageId('s1', 'c1'));
    expect(a).not.toBe(userMessageId('s2', 'c1'));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(replyMessageId(a)).not.toBe(a);
  });
});

describe('transcript decider (given / when / then)', () => {
  const given = (events: ConversationEvent[]): TranscriptState => events.reduce(evolveTranscript, initialTranscript());
  const posted = (messageId: string, userId = 'u1'): ConversationEvent => ({
    type: 'MessagePosted',
    data: { messageId, sessionId: 's1', userId, content: 'hi', clientMessageId: 'c', keyId: '', sentiment: 0, safetyLevel: 'NORMAL', personaId: 'alex', incognito: false },
  });
  const reply = (messageId: string, inReplyTo: string): ConversationCommand => ({
    type: 'CompleteAiReply',
    data: { messageId, sessionId: 's1', inReplyTo, content: 'hello', model: 'm', promptTokens: 1, completionTokens: 1, latencyMs: 1, offline: false, keyId: '', phase: 'exploration' },
  });

  it('posts a new message once; a repeat decides nothing', () => {
    const cmd: ConversationCommand = { type: 'PostUserMessage', data: (posted('m1') as Extract<ConversationEvent, { type: 'MessagePosted' }>).data };
    expect(decideTranscript(cmd, given([]))).toHaveLength(1);
    expect(decideTranscript(cmd, given([posted('m1')]))).toEqual([]);
  });
  it('answers a message once; a second answer decides nothing', () => {
    const first = decideTranscript(reply('r1', 'm1'), given([posted('m1')]));
    expect(first).toHaveLength(1);
    expect(decideTranscript(reply('r1', 'm1'), given([posted('m1'), ...first]))).toEqual([]);
    expect(decideTranscript(reply('r2', 'm1'), given([posted('m1'), ...first]))).toEqual([]);
  });
  it('refuses to answer a message that does not exist', () => {
    expect(() => decideTranscript(reply('r1', 'nope'), given([posted('m1')]))).toThrow(/not in this transcript/);
  });
  it('refuses a message from another user on the same transcript', () => {
    const cmd: ConversationCommand = { type: 'PostUserMessage', data: (posted('m2', 'intruder') as Extract<ConversationEvent, { type: 'MessagePosted' }>).data };
    expect(() => decideTranscript(cmd, given([posted('m1')]))).toThrow(/no such session/);
  });
  it('records one summary', () => {
    const cmd: ConversationCommand = { type: 'RecordSummary', data: { sessionId: 's1', summary: 'x', keyTopics: [], emotions: [], techniques: [], nextSteps: [], offline: true, keyId: '' } };
    const events = decideTranscript(cmd, given([posted('m1')]));
    expect(events).toHaveLength(1);
    expect(decideTranscript(cmd, given([posted('m1'), ...events]))).toEqual([]);
  });
});
