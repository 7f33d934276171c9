import { beforeAll, describe, expect, it } from 'vitest';
import { createClassifier, type RuleClassifier, type RiskLevel } from '../src/classifier';

let classifier: RuleClassifier;
beforeAll(() => {
  classifier = createClassifier();
});

const level = (text: string, history: string[] = []): RiskLevel => classifier.classify(text, history).level;
const signals = (text: string, history: string[] = []): string[] => classifier.classify(text, history).signals;

describe('idioms and hyperbole are NORMAL', () => {
  it.each([
    'this commute is killing me',
    'I could murder a pizza',
    "I'm dying to see it",
    'that joke killed me',
    'I killed it in the match',
    'the boss killed me in the raid',
    'these new shoes are killing my feet',
    "I'd kill for a nap right now",
    'my dad is going to kill me when he sees the dent in the car',
    'my laptop died in the middle of the exam',
    "lmao i'm dead",
    'we were killing time before the train',
    'I overdosed on cake at the wedding',
  ])('%s', (text) => {
    expect(level(text)).toBe('NORMAL');
  });

  it('explains an idiom with the idiom signal', () => {
    expect(signals('this commute is killing me')).toContain('idiom');
  });
});

describe('negation is scoped to its clause', () => {
  it('a denied act is not HIGH_RISK', () => {
    expect(level('I would never hurt myself, I just feel flat')).not.toBe('HIGH_RISK');
    expect(signals('I would never hurt myself, I just feel flat')).toContain('negated:self_harm');
    expect(level("I'm not going to kill myself, I promise")).not.toBe('HIGH_RISK');
  });

  it('a negation in one clause does not cancel intent in the next', () => {
    expect(level("I'm not okay and I want to kill myself")).toBe('HIGH_RISK');
  });

  it('negated life-words are a death wish, and "can\'t stop" is affirmative', () => {
    expect(level("I don't want to live anymore")).toBe('ELEVATED_CONCERN');
    expect(level("I can't stop thinking about killing myself")).toBe('HIGH_RISK');
  });
});

describe('slang, texting style and misspellings still count', () => {
  it.each([
    ['kms', 'slang:kms'],
    ['i want to unalive myself', 'slang:unalive'],
    ['honestly i should just kys', 'slang:kys'],
    ['gonna end it tn', undefined],
    ['thinking about sucide again tonight', undefined],
    ['im gonna kil myself', undefined],
    ['i want to dieeee tonight', undefined],
    ['going to self-delete tonight', 'slang:self_delete'],
  ])('%s', (text, signal) => {
    const result = classifier.classify(text, []);
    expect(result.level).toBe('HIGH_RISK');
    if (signal) expect(result.signals).toContain(signal);
  });

  it('"kys" aimed at someone else is not the user\'s own intent', () => {
    expect(level('some kid in the lobby told me to kys')).not.toBe('HIGH_RISK');
  });
});

describe('indirect and euphemistic intent is HIGH_RISK', () => {
  it.each([
    "I won't be a burden much longer",
    'I wrote letters to everyone I love',
    "I've started giving my things away",
    'I want to make it all stop for good',
    "by the time you read this I'll be gone",
    "I've been stockpiling my sleeping pills",
    'how many paracetamol would it take to die',
    "going to overdose on my mum's sleeping tablets when she's out",
  ])('%s', (text) => {
    expect(level(text)).toBe('HIGH_RISK');
  });

  it('a British spelling is not mistaken for another word: a multi-storey is not a story', () => {
    const text = 'what floor of the multi storey car park would be high enough to die';
    expect(signals(text)).not.toContain('media_context');
    expect(level(text)).toBe('HIGH_RISK');
    expect(signals('we moved into a flat on the third storey')).not.toContain('media_context');
  });

  it('everyday versions of the same acts stay ordinary', () => {
    expect(level('I gave my old jumpers to the charity shop')).toBe('NORMAL');
    expect(level('we bought a rope for the sailing trip')).not.toMatch(/ELEVATED|HIGH/);
    expect(level('see you next week, goodbye!')).toBe('NORMAL');
  });
});

describe('context from earlier messages', () => {
  it("turns a vague 'tonight's the night' after a method into HIGH_RISK", () => {
    const result = classifier.classify("tonight's the night", ['I bought a rope']);
    expect(result.level).toBe('HIGH_RISK');
    expect(result.signals).toContain('context:prior_method');
  });

  it('leaves the same words alone after an ordinary history', () => {
    expect(level("tonight's the night", ['we got tickets for the gig'])).toBe('NORMAL');
    expect(level("tonight's the night")).toBe('NORMAL');
  });
});

describe('risk to and from other people', () => {
  it('imminent harm to someone else is HIGH_RISK', () => {
    expect(level("I'm going to hurt him tonight, I have a knife")).toBe('HIGH_RISK');
    expect(signals("I'm going to hurt him tonight, I have a knife")).toContain('harm_to_other');
  });

  it('immediate danger from someone else is HIGH_RISK', () => {
    expect(level("he said he'll kill me when he gets home")).toBe('HIGH_RISK');
    expect(level('my partner is hitting me right now')).toBe('HIGH_RISK');
  });

  it('imminent risk to a person the user reports is HIGH_RISK, their past is not', () => {
    expect(level('my friend says she wants to kill herself tonight')).toBe('HIGH_RISK');
    expect(level('my great-uncle took his own life in 1962')).not.toMatch(/ELEVATED|HIGH/);
  });

  it('feeling unsafe at home without immediate danger is ELEVATED_CONCERN', () => {
    expect(level("I don't feel safe at home when my stepdad drinks")).toBe('ELEVATED_CONCERN');
  });
});

describe('the ELEVATED, WATCH and NORMAL bands', () => {
  it.each([
    'I wish I could go to sleep and not wake up',
    'everyone would be better off without me',
    'I cut myself again last night',
    "I think about suicide sometimes but I'd never act on it",
  ])('ELEVATED_CONCERN: %s', (text) => {
    expect(level(text)).toBe('ELEVATED_CONCERN');
  });

  it.each(['I am so stressed about my exams', "I've been really lonely since the move", "I can't sleep at night", 'I miss my grandad so much'])(
    'WATCH: %s',
    (text) => {
      expect(level(text)).toBe('WATCH');
    },
  );

  it.each([
    'I volunteer at a suicide prevention hotline',
    'we discussed suicide rates in class',
    'the main character kills himself in the last chapter',
    'had a great day at the beach',
  ])('NORMAL: %s', (text) => {
    expect(level(text)).toBe('NORMAL');
  });
});

describe('contract', () => {
  it('is deterministic and returns stable codes with a confidence in 0..1', () => {
    const a = classifier.classify('gonna kms tn', ['nothing matters']);
    const b = classifier.classify('gonna kms tn', ['nothing matters']);
    expect(a).toEqual(b);
    expect(a.confidence).toBeGreaterThan(0);
    expect(a.confidence).toBeLessThanOrEqual(1);
    for (const s of a.signals) expect(s).toMatch(/^[a-z_]+(:[a-z_]+)?$/);
  });

  it('copes with empty and very long input', () => {
    expect(level('')).toBe('NORMAL');
    expect(level(`${'blah '.repeat(5000)}`)).not.toBe('HIGH_RISK');
  });
});
