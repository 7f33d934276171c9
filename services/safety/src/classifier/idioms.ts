import { LEXICON } from './lexicon';
import type { Sentence } from './sentenceAnalysis';
import { compilePattern, findAll, inClass, type Token } from './tokenPattern';

/**
 * Figurative uses of death and violence words ("this commute is killing me", "dying to see it",
 * "I killed it in the match"). Their tokens are marked so the risk patterns skip them.
 */
const IDIOM_PATTERNS = [
  'kill|killed|killing|kills|smash|smashed|nailed it',
  'kill|killed|killing the? time|lights|light|process|engine|music|vibe|mood|app|tab|bug|spider|fly|weeds|germs|conversation|joke',
  'kill two birds',
  'kill|killed|murder for a|an|some|the?',
  "could|would|'d kill|murder !myself",
  'dying|dead for|to',
  'die for a|an|some|the|that|this',
  'to die for',
  'dying|die|died|dead laughing|laughter',
  'dying|die|died of|from laughter|laughing|boredom|embarrassment|thirst|hunger|heat|cringe|cuteness|shame',
  'dying|dead inside',
  'so #ADJ|ADV I? could|would die',
  'dead tired|battery|end|serious|silence|set|last|wrong|right|centre|center|on',
  'bored|scared|starving|starve|sick|worried|freezing|frozen|tickled|bore|worry|work|love|beat to death',
  'the death of me',
  'over my dead body',
  'I am dead|ded',
  'drop dead|dead? gorgeous',
  'drop-dead',
  'shoot|kill me now',
  'end|ending|ended it|things with',
  'killer #NOUN|ADJ?',
  'murder mystery|mysteries',
].map(compilePattern);

const KILL_FORMS = new Set(['killing', 'kills', 'killed', 'kill', 'murder', 'murdering', 'murdered']);
const FUTURE_MARKERS = new Set(['going', 'gonna', 'will', "'ll", 'gon']);
const VIOLENT_CONTEXT = new Set([...LEXICON.FEAR, ...LEXICON.WEAPON, 'threatened', 'threatens', 'threaten', 'hit', 'hits', 'hitting', 'drunk', 'locked', 'choked', 'beat', 'beats', 'violent', 'swore', 'serious', 'seriously', 'literally', 'really']);
const REPORTED_THREAT = new Set(['said', 'says', 'say', 'told', 'tells', 'swore', 'swears', 'threatened', 'threatens', 'promised', 'screaming', 'screamed', 'yelling', 'yelled', 'shouting']);

function subjectBefore(tokens: readonly Token[], verbIndex: number): Token | undefined {
  const clause = tokens[verbIndex]?.clause;
  for (let i = verbIndex - 1; i >= 0; i--) {
    const t = tokens[i];
    if (!t || t.clause !== clause) break;
    if (t.text === 'me' || t.text === 'my') continue;
    if (t.pos === 'NOUN' || t.pos === 'PROPN' || (t.pos === 'PRON' && !['myself', 'it'].includes(t.text)) || t.text === 'it') return t;
  }
  return undefined;
}

/**
 * "X is killing me" / "X will kill me if ..." is figurative unless X is a person AND the
 * sentence carries a threat: a reported threat, fear, a weapon or violence. "killed me"
 * in the past tense is always figurative (the speaker is alive), unless "almost/nearly".
 */
function markFigurativeKillMe(sentence: Sentence, wholeMessage: readonly Sentence[]): boolean {
  const { tokens } = sentence;
  let found = false;
  const messageWords = new Set(wholeMessage.flatMap((s) => s.tokens.map((t) => t.text)));
  const threatening = [...messageWords].some((w) => VIOLENT_CONTEXT.has(w) || REPORTED_THREAT.has(w));
  tokens.forEach((t, i) => {
    const object = tokens[i + 1];
    if (!KILL_FORMS.has(t.text) || !object || !['me', 'us'].includes(object.text)) return;
    const before = tokens.slice(Math.max(0, i - 3), i).map((x) => x.text);
    const subject = subjectBefore(tokens, i);
    const personSubject = subject !== undefined && inClass(subject, 'PERSON') && subject.text !== 'you';
    const pastTense = t.text.endsWith('ed') && !before.some((w) => w === 'almost' || w === 'nearly' || w === 'tried');
    const futureThreat = before.some((w) => FUTURE_MARKERS.has(w));
    // "I wish something would just kill me" is a death wish, not a figure of speech.
    const wished = tokens.slice(Math.max(0, i - 6), i).some((x) => ['wish', 'hope', 'pray', 'want', 'please'].includes(x.text));
    const figurative = !wished && (pastTense || !personSubject || (futureThreat && !threatening));
    if (figurative) {
      t.idiom = true;
      object.idiom = true;
      found = true;
    }
  });
  return found;
}

/** Parts of speech that end the noun phrase after "overdose on". */
const PHRASE_END = new Set(['PUNCT', 'CCONJ', 'SCONJ', 'ADP', 'AUX']);

/**
 * "overdosed on chocolate" is figurative; "overdose on my sleeping pills" and "overdose on my
 * dad's heart tablets" are not: any drug word in the noun phrase after "on" makes it literal.
 */
function markFigurativeOverdose(tokens: readonly Token[]): boolean {
  let found = false;
  tokens.forEach((t, i) => {
    if (t.lemma !== 'overdose' && !t.text.startsWith('overdos')) return;
    if (tokens[i + 1]?.text !== 'on') return;
    const phrase: Token[] = [];
    for (let j = i + 2; j < Math.min(tokens.length, i + 7); j++) {
      const word = tokens[j];
      if (!word || PHRASE_END.has(word.pos)) break;
      phrase.push(word);
    }
    if (!phrase.some((word) => inClass(word, 'DRUG'))) {
      t.idiom = true;
      found = true;
    }
  });
  return found;
}

/** Deaths and kills inside a game or a laugh: "I died so many times on that level lol". */
function markPlayfulDeath(sentence: Sentence): boolean {
  const { tokens } = sentence;
  if (tokens.some((t) => inClass(t, 'SELF_REFLEXIVE') || t.text === 'irl')) return false;
  const gaming = tokens.some((t) => inClass(t, 'GAMING'));
  const laughing = tokens.some((t) => inClass(t, 'LAUGHTER'));
  if (!gaming && !laughing) return false;
  let found = false;
  tokens.forEach((t, i) => {
    const deathWord = ['kill', 'die', 'dead', 'shoot', 'murder', 'headshot'].includes(t.lemma) || ['dead', 'died', 'dying', 'headshot'].includes(t.text);
    if (!deathWord) return;
    // "I want to die lol" keeps its meaning: only unmodalised deaths are made playful.
    const modal = tokens.slice(Math.max(0, i - 3), i).some((x) => inClass(x, 'DESIRE') || inClass(x, 'INTENT'));
    if (gaming || !modal) {
      t.idiom = true;
      found = true;
    }
  });
  return found;
}

/** Marks idiom tokens in every sentence; returns whether any figurative use was found. */
export function markIdioms(sentences: readonly Sentence[]): boolean {
  let found = false;
  for (const sentence of sentences) {
    for (const pattern of IDIOM_PATTERNS) {
      for (const m of findAll(sentence.tokens, pattern, true)) {
        for (let i = m.start; i < m.end; i++) {
          const t = sentence.tokens[i];
          if (t) t.idiom = true;
        }
        found = true;
      }
    }
    if (markFigurativeKillMe(sentence, sentences)) found = true;
    if (markFigurativeOverdose(sentence.tokens)) found = true;
    if (markPlayfulDeath(sentence)) found = true;
  }
  return found;
}
