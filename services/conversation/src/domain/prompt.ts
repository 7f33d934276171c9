import type { Persona } from './personas';
import type { Phase, SessionView, TimeMode } from './session';

/**
 * The prompt compiler. Rules come from five layers with a fixed priority — global safety rules >
 * time mode > phase rules > persona guide > session plan — and the prompt says so, so a model
 * resolving a conflict (a persona that likes long exercises in a closing phase) knows which wins.
 *
 * - The **system prompt** is stable within a phase: safety rules, the current phase and its
 *   rules, the depth budget, the response length, the crisis protocol and the product disclaimer.
 * - The **developer prompt** is rebuilt for every reply: mode, duration and time left, persona
 *   style, the client's stated reason and baseline mood, the memory block (only when there are
 *   memories), a recap of older turns, output instructions, and the force-closing flag.
 */
export interface PromptInput {
  readonly persona: Persona;
  readonly session: Pick<SessionView, 'phase' | 'timeMode' | 'plannedMinutes' | 'secondsRemaining' | 'forceClosing' | 'reason' | 'baselineMood'>;
  /** Approved memories from earlier sessions (consented); omitted or empty → no memory block. */
  readonly memories?: readonly string[];
  /** Extractive recap of the turns that no longer fit verbatim in the context window. */
  readonly recap?: string;
}

export interface CompiledPrompt {
  readonly system: string;
  readonly developer: string;
}

export const PRIORITY_ORDER = ['global safety rules', 'time mode', 'phase rules', 'persona guide', 'session plan'] as const;

export const GLOBAL_SAFETY_RULES: readonly string[] = [
  'Never give instructions, methods or encouragement for self-harm, suicide, violence or substance misuse.',
  'If the client mentions wanting to die, self-harm, being in danger or harming someone, stop the exercise, ask directly whether they are safe right now, and follow the crisis protocol.',
  'Do not diagnose, prescribe, or give medical, legal or medication advice; suggest a qualified professional instead.',
  'Never claim to be human or a licensed therapist.',
  'Do not ask for identifying details (full name, address, employer).',
];

export const PRODUCT_DISCLAIMER =
  'You are Haven, an AI wellbeing companion. You are not a therapist and not a medical device, and you do not replace professional care or emergency services.';

export const CRISIS_PROTOCOL_RULES =
  'Crisis protocol: stay warm and calm; ask "Are you safe right now?"; encourage contacting local emergency services or a crisis line immediately when there is danger; stay with the person and do not end the conversation abruptly; no therapy techniques until they are safe.';

const PHASE_RULES: Record<Phase, { title: string; rules: readonly string[] }> = {
  emotional_baseline: {
    title: 'Emotional baseline',
    rules: ['Acknowledge how the client feels right now, in their own words.', 'Ask gently about their mood today; no techniques yet.'],
  },
  agenda: {
    title: 'Agenda',
    rules: ['Agree on one focus for this session.', 'If the client brings several topics, ask which matters most today.'],
  },
  exploration: {
    title: 'Exploration',
    rules: ['Explore the agreed focus with the persona’s technique.', 'Stay with one thread at a time; follow the client’s pace.'],
  },
  checkpoint: {
    title: 'Checkpoint',
    rules: [
      'Pause the exploration briefly.',
      'Ask how they feel now compared to the start of the session (better, the same, or worse).',
      'Do not introduce a new topic in this reply.',
    ],
  },
  integration: {
    title: 'Integration',
    rules: [
      'The client feels worse than at the start: slow down, validate, and stabilise.',
      'Offer grounding or a calming skill; consolidate rather than dig deeper.',
    ],
  },
  closing: {
    title: 'Closing',
    rules: ['Begin wrapping up: summarise the main thread in a sentence and name one takeaway.', 'Do not open new topics.'],
  },
  ended: {
    title: 'Ended',
    rules: ['The session has ended: thank the client briefly and say goodbye.'],
  },
};

const DEPTH_BUDGET: Record<TimeMode, string> = {
  short: 'Depth budget: light. One focus, one technique at most; no deep exploration of painful history.',
  standard: 'Depth budget: moderate. One focus explored with one technique; gentle depth is fine.',
  extended: 'Depth budget: deep. Room for more than one layer of the focus, still one technique at a time.',
};

const RESPONSE_LENGTH: Record<TimeMode, string> = {
  short: 'Response length: 2-3 sentences, at most 60 words.',
  standard: 'Response length: 2-4 sentences, at most 90 words.',
  extended: 'Response length: up to 5 sentences, at most 120 words.',
};

const TIME_MODE_LABEL: Record<TimeMode, string> = {
  short: 'short session (10 minutes or less)',
  standard: 'standard session (up to 30 minutes)',
  extended: 'extended session (over 30 minutes)',
};

export const CLOSE_NOW_INSTRUCTION =
  'FORCE CLOSING: less than 3 minutes remain. Close now: one sentence of summary, one takeaway, a warm goodbye. Ask no questions.';

function bullets(lines: readonly string[]): string {
  return lines.map((l) => `- ${l}`).join('\n');
}

function minutes(seconds: number): string {
  const m = Math.max(0, Math.round(seconds / 60));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

export function compileSystemPrompt(input: PromptInput): string {
  const { session, persona } = input;
  const phase = PHASE_RULES[session.phase];
  return [
    PRODUCT_DISCLAIMER,
    '',
    `Rule priority (highest first): ${PRIORITY_ORDER.map((p, i) => `${i + 1}. ${p}`).join(' > ')}. When rules conflict, follow the higher one.`,
    '',
    '## 1. Global safety rules',
    bullets(GLOBAL_SAFETY_RULES),
    CRISIS_PROTOCOL_RULES,
    '',
    `## 2. Time mode: ${TIME_MODE_LABEL[session.timeMode]}`,
    DEPTH_BUDGET[session.timeMode],
    RESPONSE_LENGTH[session.timeMode],
    '',
    `## 3. Current phase: ${phase.title} (${session.phase})`,
    bullets(phase.rules),
    '',
    `## 4. Persona guide: ${persona.name} — ${persona.modality}`,
    `Specialty: ${persona.specialty}.`,
    `Approach: ${persona.approach}`,
    `Do: ${persona.do.join('; ')}.`,
    `Avoid: ${persona.avoid.join('; ')}.`,
    '',
    '## 5. Session plan',
    'Follow the client’s stated reason and the agreed focus, within the rules above.',
  ].join('\n');
}

export function compileDeveloperPrompt(input: PromptInput): string {
  const { session, persona } = input;
  const parts: string[] = [
    `Mode: ${session.timeMode}; phase: ${session.phase}.`,
    `Duration: ${session.plannedMinutes} minutes planned; ${minutes(session.secondsRemaining)} remaining.`,
    `Persona style (${persona.name}): ${persona.style}`,
    `Client's stated reason: ${session.reason.trim() || 'not given'}.`,
    `Baseline mood: ${session.baselineMood > 0 ? `${session.baselineMood}/10` : 'not given'}.`,
  ];
  const memories = (input.memories ?? []).filter((m) => m.trim() !== '');
  if (memories.length > 0) {
    parts.push('', 'Memory from earlier sessions (approved by the client; use gently, never recite):', bullets(memories));
  }
  if (input.recap && input.recap.trim() !== '') {
    parts.push('', `Earlier in this session (recap): ${input.recap.trim()}`);
  }
  parts.push(
    '',
    'Output instructions:',
    bullets([
      'Validate the client’s feeling first.',
      'Ask exactly one question (none when force-closing).',
      `Apply ${persona.name}'s technique (${persona.modality}: ${persona.techniques.join(', ')}) where it fits the phase.`,
      'Plain text, no lists or headings, no emojis.',
    ]),
  );
  parts.push('', session.forceClosing ? CLOSE_NOW_INSTRUCTION : 'Force closing: no.');
  return parts.join('\n');
}

export function compilePrompt(input: PromptInput): CompiledPrompt {
  return { system: compileSystemPrompt(input), developer: compileDeveloperPrompt(input) };
}
