import { createHash } from 'node:crypto';
import type { Modality, Persona } from './personas';
import type { Phase } from './session';
import { emotionsIn } from './sentiment';

/**
 * The offline responder answers when no LLM is configured: reflective listening that follows the
 * session phase and the persona's modality. Deterministic: the same inputs give the same reply
 * (the variant is chosen by a hash of persona, phase and message), so tests and demos are stable.
 */
export interface OfflineReplyInput {
  readonly persona: Persona;
  readonly phase: Phase;
  readonly forceClosing: boolean;
  readonly reason: string;
  readonly userMessage: string;
}

export const OFFLINE_MODEL = 'offline';

const EMOTION_REFLECTIONS: Record<string, string> = {
  anxiety: 'there is a lot of worry and tension in this',
  sadness: 'you are carrying a real heaviness right now',
  loneliness: 'you have been feeling quite alone with this',
  anger: 'this has left you frustrated, and that makes sense',
  fear: 'part of you feels scared',
  shame: 'you are being very hard on yourself',
  overwhelm: 'it all feels like too much at the moment',
  hope: 'there is some hope in what you are saying',
  calm: 'something has settled a little for you',
  joy: 'something good is happening for you too',
};

const EXPLORATION_MOVES: Record<Modality, readonly string[]> = {
  CBT: ['What was going through your mind in that moment?', 'If a friend had that thought, what evidence might you point out to them?'],
  ACT: ['What matters most to you underneath this?', 'Can you notice that thought as a thought, just for a moment — what happens?'],
  'DBT skills': ['How intense is the feeling right now, from 0 to 100?', 'What would it look like to act opposite to the urge, just a little?'],
  'person-centred': ['What is that like for you?', 'What feels most important for me to understand about this?'],
  'trauma-informed': ['Would it help to take a slow breath together before we go on? It is your choice.', 'What helps you feel even a little safer right now?'],
  'solution-focused': ['On a scale of 0 to 10, where are you with this today?', 'When has this been a little easier, even briefly?'],
  mindfulness: ['Where do you notice this in your body right now?', 'Could we take three slow breaths and see what you notice?'],
  'compassion-focused': ['What would you say to a close friend who felt this way?', 'What would a kind voice say to you about this?'],
  'motivational interviewing': ['What makes this important to you now?', 'What are the good things and the not-so-good things about changing this?'],
  IPT: ['Who are the people most involved in this for you?', 'What has changed in your relationships recently?'],
  'schema-informed': ['Does this feel like a familiar pattern for you?', 'What do you think you needed most in that moment?'],
  narrative: ['If this problem had a name, what would you call it?', 'Can you remember a time when the problem had less of a hold on you?'],
  'behavioural activation': ['What is one small thing you used to enjoy that might fit into tomorrow?', 'How does your mood change on days when you do a little more?'],
  'emotion-focused': ['What is the strongest feeling right now, if you stay with it for a moment?', 'If that feeling could speak, what would it say?'],
};

const OPENINGS = ['Thank you for sharing that with me.', 'I hear you.', 'That sounds really hard.', 'I’m glad you told me.'];

function pick<T>(items: readonly T[], seed: number): T {
  return items[seed % items.length] as T;
}

function seedOf(...parts: string[]): number {
  return createHash('sha1').update(parts.join('\u0000')).digest().readUInt32BE(0);
}

function reflection(message: string): string {
  const emotion = emotionsIn(message)[0];
  if (emotion !== undefined) return `It sounds like ${EMOTION_REFLECTIONS[emotion] ?? 'this matters to you'}.`;
  const words = message.replace(/\s+/g, ' ').trim().split(' ');
  const fragment = words.slice(0, 12).join(' ').replace(/[.!?,;:]+$/, '');
  return fragment === '' ? 'I’m listening.' : `You said: “${fragment}${words.length > 12 ? '…' : ''}”.`;
}

function phaseMove(input: OfflineReplyInput, seed: number): string {
  const { persona, phase, reason } = input;
  switch (phase) {
    case 'emotional_baseline':
      return 'How are you feeling right now, in your own words?';
    case 'agenda':
      return reason.trim() !== ''
        ? 'You mentioned what brought you here today. What would you most like us to focus on in this session?'
        : 'What would you most like us to focus on in this session?';
    case 'exploration':
      return pick(EXPLORATION_MOVES[persona.modality], seed);
    case 'checkpoint':
      return 'Let’s pause for a moment: how are you feeling now compared to when we started — better, about the same, or worse?';
    case 'integration':
      return 'Let’s slow down together. Can you feel your feet on the floor and take one slow breath? What helps you feel a bit steadier?';
    case 'closing':
      return 'We are coming towards the end of our time. What is one thing you would like to take with you from today?';
    case 'ended':
      return 'Our session has ended. Thank you for your openness today — take good care of yourself.';
    default: {
      const never: never = phase;
      return never;
    }
  }
}

export function offlineReply(input: OfflineReplyInput): string {
  const seed = seedOf(input.persona.id, input.phase, input.userMessage);
  const opening = pick(OPENINGS, seed >>> 3);
  if (input.forceClosing) {
    return `${opening} ${reflection(input.userMessage)} We need to close now. One thing to take with you: be as kind to yourself this week as you were honest with me today. Take care — I’m glad you came.`;
  }
  return `${opening} ${reflection(input.userMessage)} ${phaseMove(input, seed)}`;
}
