import { IRREGULAR_PAST } from './lexicon';
import type { Sentence } from './sentenceAnalysis';
import type { Mood } from './sentenceMood';
import { compilePattern, findAll, inClass, type CompiledPattern, type Token } from './tokenPattern';

/**
 * Signal codes a message can carry. The decision table in riskDecision.ts maps them to levels.
 * Keep them short and stable: they are shown to on-call staff and asserted on in tests.
 */
export type Signal =
  | 'self_harm_intent'
  | 'self_harm_in_progress'
  | 'overdose_taken'
  | 'ideation'
  | 'death_intent'
  | 'passive_death_wish'
  | 'method'
  | 'method_access'
  | 'method_research'
  | 'preparatory_act'
  | 'plan'
  | 'timeframe_imminent'
  | 'goodbye'
  | 'finality'
  | 'vague_intent'
  | 'burden'
  | 'hopelessness'
  | 'distress'
  | 'recent_self_harm'
  | 'recent_attempt'
  | 'past_self_harm'
  | 'denies_intent'
  | 'harm_to_other'
  | 'danger_from_other'
  | 'unsafe_home'
  | 'third_party_risk'
  | 'third_party_concern'
  | 'third_person_past'
  | 'negated:self_harm'
  | 'idiom'
  | 'hyperbole'
  | 'media_context'
  | 'professional_context'
  | 'gaming_context';

type Agent = 'self' | 'other' | 'generic';
type Modality = 'intent' | 'desire' | 'ideation' | 'attempt' | 'none';
type Tense = 'past' | 'perfect' | 'progressive' | 'present';

interface SentenceContext {
  readonly sentence: Sentence;
  readonly mood: Mood;
  readonly tokens: readonly Token[];
  readonly words: ReadonlySet<string>;
  readonly media: boolean;
  readonly professional: boolean;
  readonly distantPast: boolean;
  readonly recentPast: boolean;
  readonly imminent: boolean;
}

const p = compilePattern;

// ---- self-directed acts --------------------------------------------------------------------

/** Each pattern's FIRST token is the act's anchor (used for modality, tense and negation). */
const SUICIDE_ACTS: readonly CompiledPattern[] = [
  p('@SUICIDE_VERB up? @SELF_REFLEXIVE|@OTHER_REFLEXIVE|@YOURSELF'),
  p('end|take|ending|taking|ended|took my|his|her|their|your own? life|lives'),
  p('end|ending it all|now|tonight|today|tomorrow|forever'),
  p('end|ending everything|things'),
  p('drink|drinking|swallow|swallowing|take|taking|eat|eating|inject|injecting the|some|a? bleach|poison|antifreeze|insulin'),
  p('end|ending it #PUNCT'),
  p('end|ending it'),
  p('end|ending the|this|my pain|suffering for|forever|permanently|once'),
  p('make it all? stop for|forever|permanently'),
  p('commit|committing|attempt|attempting|consider|considering|contemplate|contemplating suicide'),
  p('@SUICIDE_NOUN'),
  p('@SUICIDE_ADJ'),
  p('jump|jumping|leap off|from the|a|my? *2 roof|rooftop|bridge|building|cliff|ledge|balcony|tower|window|top|garage|overpass|skyscraper|flats|block|car-park'),
  p('jump|jumping|step|stepping|throw|walk|walking|lie|lying in|into|under|on front? of? the|a? next? train|bus|truck|lorry|traffic|car|river|tracks'),
  p('drive|driving|crash|crashing my? car? into|off a|the wall|tree|bridge|traffic|cliff|river|road'),
  p('slit|slitting|cut|cutting|slice|slicing|open my wrists|wrist|throat|veins|vein'),
  p('overdose|overdosing|overdosed'),
  p('take|taking|swallow|swallowing them|it all'),
  p('take|taking|swallow|swallowing all|every my|the|of? *2 @DRUG'),
  p('take|taking|swallow|swallowing|taken|took|swallowed the whole bottle|box|pack|packet'),
  p('take|taking|swallow|swallowing|taken|took|swallowed #NUM *2 @DRUG'),
  p('take|taking|swallow|swallowing|taken|took|swallowed a|the|an? bunch|handful|load|loads|lot|lots|whole|entire|box|packet|bottle|pack|strip *3 @DRUG'),
];

const SELF_HARM_ACTS: readonly CompiledPattern[] = [
  p('@SELF_HARM_VERB @SELF_REFLEXIVE|@OTHER_REFLEXIVE'),
  p('@SELF_HARM_VERB my @SELF_HARM_SITE'),
  p('self -? harm|harmed|harming'),
  p('self-harm|self-harmed|self-harming'),
  p('cutting|cut|burning again'),
  p('started|start|been cutting|burning|scratching'),
  p('relapsed|relapse *3 cut|cutting|burned|burning|harmed|harming|scratched'),
  p('@SELF_HARM_VERB *4 on purpose'),
];

/** Questions and look-ups about lethality: preparation even when phrased impersonally. */
const METHOD_RESEARCH: readonly CompiledPattern[] = [
  p('how many|much *4 @DRUG|it *3 take|need *3 die|kill|lethal|dead|overdose'),
  p('how many|much *3 @DRUG *3 take|need|die|kill|lethal|dead'),
  p('painless|quickest|fastest|easiest|best|surest|quick|easy way|ways|method|methods to? *3 die|kill|suicide|dead|end'),
  p('high|enough *3 to die|kill'),
  p('lethal dose'),
  p('enough to not? *2 wake|die|kill|dead'),
  p('which|what *3 @DRUG *4 stop|kill|fastest|quickest|lethal|die'),
  p('reliable|effective|certain|surest way|method|ways *3 to? *3 die|end|kill|it'),
  p('how long *5 carbon|monoxide|exhaust|bleed|overdose|hanging|die'),
  p('does|would|will it hurt to bleed|hang|drown|die|overdose'),
  p('how to kill|hang|overdose|poison myself|yourself|oneself'),
];

const PREPARATORY: readonly CompiledPattern[] = [
  p('buy|bought|buying|order|ordered|ordering|get|got|getting|collect|collected|collecting *3 @METHOD_MEANS'),
  p('save|saved|saving|stockpile|stockpiled|stockpiling|hoard|hoarded|hoarding|stash|stashed up? *3 @DRUG'),
  p('write|wrote|written|writing|leave|left|leaving *3 note|notes'),
  p('write|wrote|written|writing *2 letters|goodbyes *3 everyone|all|everybody|family'),
  p('write|wrote|written|writing *3 goodbye|farewell *2 letter|letters|note|message'),
  p('give|gave|giving|given *3 my? things|stuff|belongings|possessions|everything away?'),
  p('give|gave|giving|given away my? things|stuff|belongings|possessions|everything'),
  p('put|putting|got|getting all? my? affairs in order'),
  p('written|wrote|write|writing|made|updated my will *4 ready|time|goodbye|goodbyes|order'),
  p('said|say|saying my goodbyes'),
  p('pick|picked|picking|chose|chosen|choose|set the|a date|day|spot|place|time'),
  p('load|loaded|loading the|my gun|pistol|rifle'),
  p('make|made|tie|tied|tying|making the|a noose'),
  p('research|researched|researching|look|looked|looking|google|googled|googling|search|searched|searching up? *4 ways|way|how|methods|method|dose'),
  p('delete|deleted|deleting all my accounts|account|profiles'),
];

const METHOD_ACCESS: readonly CompiledPattern[] = [
  p('have|has|got|keep|keeps|kept|here|there *6 @METHOD_MEANS'),
  p('know where *4 @METHOD_MEANS'),
  p('all my @DRUG'),
  p('the means'),
  p('@METHOD_MEANS ready|here'),
  p('@METHOD_MEANS in|on front|the|my of? me|table|desk|bed|hand'),
];

const IN_PROGRESS: readonly CompiledPattern[] = [
  p('holding|hold *3 @METHOD *3 to my'),
  p('standing|sitting|stood on|at the|a? roof|rooftop|bridge|ledge|edge|cliff|balcony|tracks|platform|station'),
  p('bleeding|bleed a lot|heavily|badly|everywhere'),
  p('cut|cutting *2 too deep'),
  p('blood will not stop'),
  p('will not stop bleeding'),
  p('lot of blood'),
  p('bleed|bleeding out'),
  p('cutting|burning|scratching *3 right? now|atm|moment'),
  p('@METHOD_MEANS *2 in my hand|hands'),
  p('tied|tie|tying|attached|hung *4 to the|my? door|ceiling|beam|banister|rail|railing|hook|frame|pipe|tree'),
];

const PLAN: readonly CompiledPattern[] = [
  p('have|got|made|make a|the plan !for'),
  p('know *2 how *2 do|going it'),
  p('know where *3 going to use|do it'),
  p('made|make up my mind'),
  p('decided how|when|where'),
  p('that is the plan'),
  p('the plan is'),
  p('going|will|gonna|planning|plan|about *4 use|take|swallow|drink|load|grab *4 @METHOD_MEANS|them'),
];

// ---- death wishes, burden and hopelessness ------------------------------------------------

const PASSIVE_DEATH_WISH: readonly CompiledPattern[] = [
  p('wish *2 I was|were dead'),
  p('wish *3 never been born'),
  p('rather be dead'),
  p('better off dead'),
  p('hope I *3 die|dies|crash'),
  p('hope I get hit|killed'),
  p('wish *3 disappear|vanish'),
  p('want|wanna to disappear|vanish'),
  p('wish something|someone|it would *2 kill me'),
  p('not *2 care if I die|live'),
  p('if I died|disappeared|vanished *4 nobody|no|not'),
  p('nobody|one would|will *2 notice|care|miss *3 if I'),
  p('thoughts about|of dying|death|suicide'),
  p('thinking about|of dying|death'),
  p('think about dying|death'),
  p('dying would not be|be so? bad'),
  p('death sounds|seems|feels'),
  p('my own? funeral'),
  p('sleep|asleep forever'),
  p('disappear|vanish forever|permanently'),
  p('stop existing'),
  p('not exist'),
  p('why am I *2 alive'),
  p('point of|in *2 living|going|life|alive'),
  p('not worth living'),
  p('tired|sick of living|life|existing'),
  p('tired|sick of being alive|here'),
  p('want|wanna to die'),
  p('wish *3 die|dead'),
  p('could *2 die'),
  p('not want to be here|around anymore'),
  p('not want to be alive|here'),
];

const BURDEN: readonly CompiledPattern[] = [
  p('@BURDEN'),
  p('better|happier|easier off? *3 without me'),
  p('better off *3 if|when I *4 gone|around|here|dead|exist'),
  p('happier|easier if I *3 not around|here|exist|alive'),
  p('doing them|everyone a? favour|favor'),
  p('better without me'),
];

const FINALITY: readonly CompiledPattern[] = [
  p('will|shall not be around|here|alive *3 longer|tomorrow|soon|anymore|much|tonight|for|morning|in'),
  p('none|nothing of? this|it will matter'),
  p('tell my @PERSON *5 sorry|love|loved'),
  p('bye|goodbye everyone|all|everybody|world'),
  p('before I go *4 not|never be|come back'),
  p('not going to be around|here|alive'),
  p('will be gone'),
  p('when I am gone'),
  p('by the time *4 read|reads|see|sees|find|finds this'),
  p('have|has|need to deal|worry with|about me anymore|again|after'),
  p('will not have to *3 me'),
  p('will not be a|any problem|burden|bother for|to|much|anymore|again'),
  p('this is my last message|night|goodbye|day|text|post'),
  p('done with life|living'),
  p('check|checked|checking out for good|permanently|forever'),
  p('it|this|everything ends|will end|is ending tonight|today|tomorrow|soon|now'),
  p('will not have to *5 my|me *4 anymore'),
  p('not be anyone|anybody *2 problem'),
  p('will not be back|coming back|around'),
  p('better off after|once tonight|tomorrow|today|this|I'),
  p('will not be anymore|around'),
  // Farewell phrasings that generalise the ones above: "after I'm gone", "go and not come back", "tying up loose ends".
  p('after|once I am gone'),
  p('and not|never come|coming back'),
  p('tie|tying|tied up loose ends'),
];

const VAGUE_INTENT: readonly CompiledPattern[] = [
  p('do|doing it'),
  p('use it'),
  p('take them'),
  p('go there'),
  p('try again'),
  p('go through with it'),
  p('make it happen'),
  p('make sure of it'),
  p('that will do'),
  p("tonight 's|is the? night|it"),
  p('it is *2 time'),
  p('I am *2 ready'),
  p('this is it'),
  p('after *2 everyone|everybody leaves|left|asleep|goes'),
  p('that is all I can think about'),
  p('everyone|everybody is asleep|gone|out|away'),
  p('it will be quick|painless|easy|over'),
  p('is|was the one'),
  p('engine is running'),
];

const HOPELESS_PHRASES: readonly CompiledPattern[] = [
  p('no way out'),
  p('see a|any way out'),
  p('not see *2 future'),
  p('no future'),
  p('never *2 get better|change|improve'),
  p('nothing will *2 get better|change|improve'),
  p('no point in|to anything|anymore|trying'),
  p('not see the point'),
  p('can not go on'),
  p('point in going on'),
  p('no reason to live|stay|go'),
  p('waste of space|oxygen|air|life'),
  p('everyone hates me'),
  p('nobody|one cares|loves about? me'),
  p('no one cares|loves about? me'),
  p('hate myself !for'),
  p('hate my life'),
  p('I am *2 worthless|useless|pathetic|nothing'),
  p('failure at everything'),
  p('nothing matters'),
  p('not *2 care what happens to me'),
  p('nobody|one would|will *2 notice|care|miss me'),
  p('give|giving|gave up on everything|life|myself'),
];

const UNSAFE_HOME: readonly CompiledPattern[] = [
  p('not feel|am safe at|in home|here'),
  p('not safe at|in home'),
  p('scared|afraid|terrified to go home'),
  p('scared|afraid|terrified of my @PERSON'),
  p('gets|get|becomes violent'),
  p('threatens|threatened us|me'),
  p('@PERSON *4 hit|hits|pushed|push|slapped|beat|kicked|choked me'),
];

// ---- risk from and to other people ----------------------------------------------------------

const DANGER_NOW: readonly CompiledPattern[] = [
  p('is|are|keeps|keep|started|starting hitting|beating|choking|strangling|kicking|punching|attacking|hurting|hitting me|us'),
  p('is|are|keeps|keep|started|starting hitting|beating|choking|strangling|kicking|punching|attacking|stabbing my @PERSON'),
  p('trying to break|get|kick *3 door|in'),
  p('outside|at|behind my|the door|window|house *3 with a? @WEAPON'),
  p('@PERSON *3 has|got|with a|his|her? @WEAPON'),
  p('following me'),
  p('grabbed|grabbing me'),
  p('locked me in'),
  p('not leaving *2 alive'),
  p('can not get out'),
  p('still in the house|here|flat|apartment'),
  p('hiding in|from'),
];

const REPORTED_THREAT: readonly CompiledPattern[] = [
  p('said|says|say|told|swore|swears|threatened|threatens|screaming|yelling|shouting *3 going|will|gonna *2 kill|hurt|shoot|stab|murder me|us'),
  p('threatened|threatens|threatening to kill|hurt|shoot|stab|murder me|us'),
];

const HARM_TO_OTHER: readonly CompiledPattern[] = [
  p('going|will|gonna|want|plan|planning|about *8 @HARM_OTHER_VERB *3 @OBJECT_PRONOUN_OTHER|@PERSON|people|guy'),
  p('going|will|gonna *2 to? make @OBJECT_PRONOUN_OTHER pay'),
  p('bring|bringing|take|taking *3 @WEAPON to school|work|class|his|her|their'),
  p('shoot|stab|kill the|those|these|all people|kids|students|everyone'),
];

const HARM_ESCALATORS: readonly CompiledPattern[] = [
  p('@WEAPON'),
  p('@TIMEFRAME_IMMINENT'),
  p('I swear'),
  p('know where *2 lives|live|is'),
  p('until *3 stops|dead'),
  p('make *2 pay'),
  p('next time I see'),
];

// ---- framing ----------------------------------------------------------------------------------

const PAST_DISTANT: readonly CompiledPattern[] = [
  p('years ago'),
  p('used to'),
  p('when I|he|she|they was|were *2 young|younger|teen|teenager|kid|child|little'),
  p('in high|secondary? school'),
  p('as a teen|teenager|kid|child'),
  p('in #NUM'),
  p('it has been years|ages'),
  p('#NUM years|months'),
];

const RECENT: readonly CompiledPattern[] = [
  p('last night|week|weekend|month|time'),
  p('yesterday'),
  p('again'),
  p('this week|weekend|morning|month'),
  p('on monday|tuesday|wednesday|thursday|friday|saturday|sunday'),
  p('days ago'),
  p('relapsed'),
  p('couple of days'),
];

const IMMINENT: readonly CompiledPattern[] = [
  p('@TIMEFRAME_IMMINENT'),
  p('right now'),
  p('this weekend|evening|afternoon'),
  p('on the way home'),
  p('after my|the|this shift|exam|work|school|funeral'),
  p('in an|a|#NUM hour|hours|minutes|mins'),
  p('much longer'),
];

const MITIGATION: readonly CompiledPattern[] = [
  p('never *2 do it|that|anything'),
  p('never *2 act on it|them'),
  p('not *2 do it|that|anything'),
  p('not *2 act on it|them'),
  p('not think I would *2 do|act'),
  p('not going to do|act anything|it|on'),
  p('not planning|plan anything'),
  p('reasons|reason to stay|live|keep'),
  p('coping skills|strategies'),
  p('safety plan'),
  p('I am safe'),
  p('but I did not'),
  p('not deep'),
];

const HYPERBOLE_REASON: readonly CompiledPattern[] = [
  p('@SUBJECT_PRONOUN_OTHER|@PERSON #VERB'),
  p('for #VERB'),
];

// -----------------------------------------------------------------------------------------------

function has(ctx: SentenceContext, patterns: readonly CompiledPattern[]): boolean {
  return patterns.some((pt) => findAll(ctx.tokens, pt).length > 0);
}

function matches(ctx: SentenceContext, patterns: readonly CompiledPattern[]): Array<{ start: number; end: number }> {
  return patterns.flatMap((pt) => findAll(ctx.tokens, pt));
}

function spanTokens(ctx: SentenceContext, m: { start: number; end: number }): readonly Token[] {
  return ctx.tokens.slice(m.start, m.end);
}

/** The closest subject before `index` in its sentence: I, someone else, or "you"/impersonal. */
function agentBefore(tokens: readonly Token[], index: number): Agent | undefined {
  for (let i = index - 1; i >= 0; i--) {
    const t = tokens[i];
    if (!t) break;
    if (t.text === 'i' || t.text === 'we') return 'self';
    if (t.text === 'you' || t.text === 'it' || t.text === 'people' || t.text === 'someone' || t.text === 'anyone') {
      if (t.text === 'someone' || t.text === 'people') return 'generic';
      continue;
    }
    if (inClass(t, 'SUBJECT_PRONOUN_OTHER') || (inClass(t, 'PERSON') && t.pos !== 'PRON')) {
      const prev = tokens[i - 1];
      // "my friend" / "my brother": a person; "me" as object ("told me") does not change the subject.
      return prev?.text === 'to' ? undefined : 'other';
    }
  }
  return undefined;
}

function agentOfAct(tokens: readonly Token[], span: readonly Token[], start: number): Agent {
  if (span.some((t) => inClass(t, 'SELF_REFLEXIVE') || t.text === 'my')) return 'self';
  if (span.some((t) => inClass(t, 'OTHER_REFLEXIVE') || t.text === 'his' || t.text === 'her' || t.text === 'their')) return 'other';
  if (span.some((t) => inClass(t, 'YOURSELF'))) return 'generic';
  return agentBefore(tokens, start) ?? 'self';
}

function modalityBefore(tokens: readonly Token[], index: number): { modality: Modality; negated: boolean } {
  for (let i = index - 1; i >= Math.max(0, index - 7); i--) {
    const t = tokens[i];
    if (!t) break;
    if (t.text === 'tried' || t.text === 'attempted') return { modality: 'attempt', negated: t.negated };
    if (inClass(t, 'IDEATION')) return { modality: 'ideation', negated: t.negated };
    if (inClass(t, 'DESIRE') || (t.text === 'like' && tokens[i - 1]?.lemma === 'feel')) return { modality: 'desire', negated: t.negated };
    if (t.text === 'about' && tokens[i + 1]?.text !== 'to') continue;
    if (inClass(t, 'INTENT') || t.text === 'might' || t.text === 'just') {
      if (t.text === 'just' && !['should', 'might', 'could', 'will', 'gonna', "'ll"].includes(tokens[i - 1]?.text ?? '')) continue;
      return { modality: 'intent', negated: t.negated };
    }
    if (t.pos === 'PUNCT' && t.text !== "'") break;
  }
  return { modality: 'none', negated: false };
}

function tenseOf(tokens: readonly Token[], index: number): Tense {
  const t = tokens[index];
  if (!t) return 'present';
  const before = tokens.slice(Math.max(0, index - 3), index).map((x) => x.text);
  if (t.text.endsWith('ing') && tokens[index - 1]?.text === 'been') return 'perfect';
  if (t.text.endsWith('ing') && before.some((w) => ['am', 'is', 'are', "'m", 'keep', 'keeps'].includes(w))) return 'progressive';
  const pastForm = IRREGULAR_PAST.has(t.text) || (t.text.endsWith('ed') && t.text !== t.lemma);
  if (before.some((w) => ['have', 'has', "'ve", 'had'].includes(w)) && (pastForm || t.text.endsWith('en'))) return 'perfect';
  if (before.some((w) => ['did', 'was', 'were'].includes(w))) return 'past';
  if (pastForm && !before.includes('to')) return 'past';
  return 'present';
}

function contextOf(sentence: Sentence, mood: Mood = { score: 0, comparative: 0 }): SentenceContext {
  const tokens = sentence.tokens;
  const base = { sentence, mood, tokens, words: new Set(tokens.map((t) => t.text)) };
  const ctx: SentenceContext = {
    ...base,
    media: tokens.some((t) => inClass(t, 'MEDIA') && !t.idiom),
    professional: tokens.some((t) => inClass(t, 'PROFESSIONAL')),
    distantPast: false,
    recentPast: false,
    imminent: false,
  };
  return {
    ...ctx,
    distantPast: has(ctx, PAST_DISTANT),
    recentPast: has(ctx, RECENT),
    imminent: has(ctx, IMMINENT),
  };
}

const BENIGN_PURPOSE_WORDS = new Set(['set', 'old', 'charity', 'kitchen', 'climbing', 'camping', 'hiking', 'trip', 'cooking', 'birthday',
  'christmas', 'gift', 'present', 'garden', 'wedding', 'party', 'doctor', 'prescription', 'headache', 'period', 'pain', 'class', 'work', 'sensible', 'kid', 'kids', 'baby']);
const DURATION_WORDS = new Set(['weeks', 'days', 'months', 'ages', 'years', 'while', 'week', 'day', 'month', 'year', 'bit', 'now', 'a', 'the', 'later', 'tonight', 'when', 'everyone', 'all', 'my', 'mum', 'mom', 'family']);

/**
 * "bought a rope for the climbing trip", "a knife set for the kitchen", "gave my old clothes to charity":
 * a stated everyday purpose or object makes an acquisition or a gift ordinary.
 */
function hasBenignPurpose(tokens: readonly Token[], m: { start: number; end: number }): boolean {
  const window = tokens.slice(m.start, Math.min(tokens.length, m.end + 8));
  if (window.some((t) => BENIGN_PURPOSE_WORDS.has(t.text))) return true;
  // A purpose infinitive: "a note to remind myself to buy milk".
  const toIndex = tokens.findIndex((t, i) => i >= m.end && i < m.end + 4 && t.text === 'to');
  const purposeVerb = toIndex >= 0 ? tokens[toIndex + 1] : undefined;
  if (purposeVerb && purposeVerb.pos === 'VERB' && !['say', 'tell', 'explain', 'apologise', 'apologize', 'end', 'kill', 'die'].includes(purposeVerb.lemma)) return true;
  const forIndex = tokens.findIndex((t, i) => i >= m.end && i < m.end + 4 && t.text === 'for');
  if (forIndex < 0) return false;
  const object = tokens.slice(forIndex + 1, forIndex + 5).find((t) => t.pos === 'NOUN' || t.pos === 'PROPN');
  return object !== undefined && !DURATION_WORDS.has(object.text) && !inClass(object, 'METHOD') && !inClass(object, 'PERSON');
}

const BENIGN_GOODBYE_WORDS = new Set(['colleagues', 'colleague', 'work', 'company', 'party', 'see', 'session', 'class', 'team', 'goodnight',
  'night', 'moving', 'move', 'holiday', 'trip', 'job', 'school', 'summer', 'weekend', 'later', 'soon', 'talk', 'speak', 'chat', 'tomorrow',
  'next', 'catch', 'meeting', 'call']);

/** "goodbye to my old flat": a farewell to a place or thing, not to people. */
function saysGoodbyeToAThing(tokens: readonly Token[], goodbyeIndex: number): boolean {
  if (tokens[goodbyeIndex + 1]?.text !== 'to') return false;
  const object = tokens.slice(goodbyeIndex + 2, goodbyeIndex + 6).find((t) => t.pos === 'NOUN' || t.pos === 'PROPN' || t.pos === 'PRON');
  return object !== undefined && !inClass(object, 'PERSON') && !['everyone', 'all', 'world', 'you', 'life', 'everybody'].includes(object.text);
}

/** Per-sentence findings, merged by the caller into the message's signal set. */
export interface SentenceFindings {
  readonly signals: Set<Signal>;
  /** Self-directed risk phrased as thought, which explicit denial of intent may downgrade. */
  readonly ideationOnly: boolean;
  readonly hopelessScore: number;
}

function detectSelfActs(ctx: SentenceContext, out: Set<Signal>): { ideationOnly: boolean } {
  let ideationOnly = false;
  const tokens = ctx.tokens;
  const consider = (patterns: readonly CompiledPattern[], kind: 'suicide' | 'self_harm'): void => {
    for (const m of matches(ctx, patterns)) {
      const span = spanTokens(ctx, m);
      const anchor = tokens[m.start];
      if (!anchor || span.some((t) => t.idiom)) continue;
      // Bare "suicide"/"suicidal"/"overdose"/"end it" need a first-person frame around them.
      const bare = span.length === 1 || (anchor.lemma === 'end' && span.length <= 3 && !span.some((t) => t.text === 'my'));
      const agent = agentOfAct(tokens, span, m.start);
      const { modality, negated: modalNegated } = modalityBefore(tokens, m.start);
      const negated = anchor.negated || modalNegated || (tokens[m.start - 1]?.text === 'no');
      // Multi-word acts ("self-harmed") carry their tense on a later token.
      const spanPast = span.slice(1).find((t) => t.text !== t.lemma && t.text.endsWith('ed'));
      const tense = spanPast && tenseOf(tokens, m.start) === 'present' ? tenseOf(tokens, spanPast.index) : tenseOf(tokens, m.start);
      if (negated) {
        out.add('negated:self_harm');
        continue;
      }
      if (agent === 'generic') {
        if (has(ctx, METHOD_RESEARCH) && !ctx.professional) out.add('method_research');
        continue;
      }
      const diedBy = tokens.slice(Math.max(0, m.start - 3), m.start).some((x) => ['died', 'lost', 'committed', 'attempted', 'death'].includes(x.text));
      if (agent === 'other') {
        if (ctx.media || ctx.professional) continue;
        if ((tense === 'past' && !ctx.words.has('just')) || diedBy || ctx.distantPast || (modality === 'attempt' && !ctx.imminent)) {
          out.add('third_person_past');
          // A death by suicide of someone close is bereavement: "my brother killed himself two years ago".
          const died = modality !== 'attempt' && (diedBy || tense === 'past') && !ctx.words.has('tried');
          if (died && ctx.words.has('my') && tokens.some((t) => inClass(t, 'PERSON'))) out.add('distress');
          continue;
        }
        const ingested = kind === 'suicide' && ['take', 'swallow', 'overdose'].includes(anchor.lemma);
        const imminent = ctx.imminent || tense === 'perfect' || ingested || modality === 'intent' || ctx.words.has('plan') || ctx.words.has('goodbye');
        const askingHowToHelp = ctx.sentence.isQuestion && ['support', 'help', 'spot', 'tell', 'signs'].some((w) => ctx.words.has(w));
        if (askingHowToHelp && !imminent) continue;
        out.add(imminent ? 'third_party_risk' : 'third_party_concern');
        continue;
      }
      if (bare) {
        const anchorIsSuicideWord = inClass(anchor, 'SUICIDE_NOUN') || inClass(anchor, 'SUICIDE_ADJ');
        const firstPersonFrame = ctx.words.has('i') || ctx.words.has('me') || ctx.words.has('my') || tokens.length <= 4;
        if (ctx.media || ctx.professional || (!firstPersonFrame && modality === 'none')) continue;
        if (diedBy) continue;
        // "suicidal" describes the speaker unless it qualifies a noun ("suicidal patients"); texting often drops "I am".
        const next = tokens[m.start + 1];
        const describesSpeaker = anchor.text === 'suicidal' && (!['NOUN', 'PROPN'].includes(next?.pos ?? '') || ['thoughts', 'ideation', 'feelings', 'urges'].includes(next?.text ?? ''));
        if (anchorIsSuicideWord && modality === 'none' && !describesSpeaker && !has(ctx, [p('@SUICIDE_NOUN is *3 option|way|answer')]) && tokens.length > 3) continue;
        if (anchor.lemma === 'end' && modality === 'none' && !ctx.imminent && tense !== 'present') continue;
      }
      if (ctx.media || (ctx.professional && modality === 'none')) continue;
      const thoughtsOf = tokens[m.end]?.text === 'thoughts' || tokens[m.end]?.text === 'ideation';
      if (ctx.distantPast && modality !== 'intent') {
        out.add('past_self_harm');
        continue;
      }
      if (thoughtsOf) {
        out.add('self_harm_intent');
        out.add('ideation');
        ideationOnly = true;
        continue;
      }
      if (kind === 'suicide' && (anchor.text.startsWith('overdos') || anchor.lemma === 'take' || anchor.lemma === 'swallow' || anchor.text === 'took' || anchor.text === 'taken' || anchor.text === 'swallowed')) {
        if (tense === 'past' || tense === 'perfect' || tense === 'progressive') {
          if (ctx.distantPast) out.add('past_self_harm');
          else out.add('overdose_taken');
          continue;
        }
      }
      // "I thought about overdosing yesterday": ideation, in the past.
      const modalToken = tokens.slice(Math.max(0, m.start - 4), m.start).find((x) => inClass(x, 'IDEATION'));
      if (modality === 'ideation' && modalToken && (modalToken.text === 'thought' || modalToken.text.endsWith('ed')) && !ctx.imminent) {
        out.add('ideation');
        continue;
      }
      const recentWithoutModal = modality === 'none' && ctx.recentPast && tense === 'present' && !ctx.imminent;
      if (modality === 'attempt' || (tense === 'past' && modality === 'none') || recentWithoutModal) {
        if (ctx.distantPast) out.add('past_self_harm');
        else out.add(kind === 'suicide' ? 'recent_attempt' : 'recent_self_harm');
        continue;
      }
      if (tense === 'perfect' || (tense === 'progressive' && kind === 'self_harm' && !ctx.imminent && !ctx.words.has('now'))) {
        if (ctx.distantPast) out.add('past_self_harm');
        else out.add('recent_self_harm');
        continue;
      }
      if (tense === 'progressive' && (ctx.words.has('now') || modality === 'none')) {
        out.add('self_harm_in_progress');
        continue;
      }
      out.add('self_harm_intent');
      if (modality === 'ideation') {
        out.add('ideation');
        ideationOnly = true;
      }
    }
  };
  consider(SUICIDE_ACTS, 'suicide');
  consider(SELF_HARM_ACTS, 'self_harm');
  return { ideationOnly };
}

/** Patterns that spell out their own negator ("no one would notice") are not negated by it. */
const SPELLED_NEGATORS = new Set(['not', 'no', 'nobody', 'never', 'none', 'nothing', 'one']);

const STRONG_INTENT = new Set(['ready', 'need', 'decided', 'plan', 'planning', 'going', 'gonna', 'will', "'ll", 'make', 'intend', 'time']);

function detectDeathWish(ctx: SentenceContext, out: Set<Signal>): void {
  const tokens = ctx.tokens;
  let wish = false;
  for (const m of matches(ctx, PASSIVE_DEATH_WISH)) {
    const span = spanTokens(ctx, m);
    if (span.some((t) => t.idiom)) continue;
    const agent = agentBefore(tokens, m.start);
    if (agent === 'other' && !span.some((t) => t.text === 'me' || t.text === 'i' || t.text === 'my')) {
      if (!ctx.media && !ctx.professional && !ctx.distantPast) out.add('third_party_concern');
      continue;
    }
    if (ctx.media) continue;
    // "I don't want to die" negates the wish; patterns that spell out their own "not" are wishes.
    const anchor = tokens[m.start];
    if (anchor?.negated && !span.some((t) => SPELLED_NEGATORS.has(t.text))) {
      out.add('negated:self_harm');
      continue;
    }
    wish = true;
  }
  // Negated life-words: "I don't want to live", "... and not wake up", "no reason to live".
  for (const t of tokens) {
    if (!inClass(t, 'LIFE') || !t.negated || t.idiom || ctx.media) continue;
    const next = tokens[t.index + 1]?.text ?? '';
    if (t.lemma === 'live' && ['in', 'with', 'near', 'at', 'there', 'here', 'alone', 'together'].includes(next)) continue;
    if (t.lemma === 'wake' && !tokens.some((x) => ['want', 'wish', 'hope', 'mind'].includes(x.lemma) || ['never', 'sure'].includes(x.text))) continue;
    if (agentBefore(tokens, t.index) === 'other') continue;
    wish = true;
  }
  // Dying as something the speaker intends: "ready to die", "I need to die tonight", "going to sleep forever".
  tokens.forEach((t, i) => {
    if (t.idiom || ctx.media) return;
    // "by friday I won't be alive": a negated life-word with a future and a date is a plan.
    const deadByThen = t.text === 'alive' && t.negated && ctx.imminent;
    const deathWord = t.lemma === 'die' || t.text === 'dead' || deadByThen || (t.text === 'forever' && tokens[i - 1]?.lemma === 'sleep') || (t.text === 'wake' && t.negated);
    if (!deathWord || agentBefore(tokens, i) === 'other') return;
    const before = tokens.slice(Math.max(0, i - 8), i);
    if (before.some((x) => x.negated && (x.lemma === 'want' || x.lemma === 'die'))) return;
    const intent = before.some((x) => STRONG_INTENT.has(x.text) && !x.negated);
    const desire = before.some((x) => inClass(x, 'DESIRE') && !x.negated);
    // "I'm going to die" alone is usually fear (a panic attack), not a plan: it needs a time.
    const goingOnly = intent && !before.some((x) => STRONG_INTENT.has(x.text) && !['going', 'gonna', 'will', "'ll"].includes(x.text));
    if ((intent && (!goingOnly || ctx.imminent || t.text !== 'die')) || (desire && t.lemma === 'die' && ctx.imminent && !before.some((x) => x.text === 'could'))) {
      out.add('death_intent');
      wish = true;
    } else if (desire && (t.lemma === 'die' || t.text === 'dead')) {
      wish = true;
    }
  });
  if (wish) out.add('passive_death_wish');
}

function detectOthers(ctx: SentenceContext, out: Set<Signal>, message: MessageView): void {
  const tokens = ctx.tokens;
  // Risk to someone else, by the user.
  for (const m of matches(ctx, HARM_TO_OTHER)) {
    const span = spanTokens(ctx, m);
    if (span.some((t) => t.idiom || t.negated)) continue;
    const agent = agentBefore(tokens, m.start);
    if (agent === 'other' || agent === 'generic') continue;
    // Someone else between the intent and the harm verb is its subject: "I'm going home and he'll hurt me".
    const verbAt = span.findIndex((t, k) => k > 0 && inClass(t, 'HARM_OTHER_VERB'));
    if (span.slice(1, verbAt < 0 ? span.length : verbAt).some((t) => inClass(t, 'SUBJECT_PRONOUN_OTHER') || t.text === 'you')) continue;
    if (ctx.media || message.laughing || tokens.some((t) => inClass(t, 'GAMING'))) {
      out.add('hyperbole');
      continue;
    }
    const escalated = message.sentences.some((s) => has(contextOf(s), HARM_ESCALATORS));
    const reasonClause = tokens.slice(m.end).some((t) => t.pos === 'PUNCT' || t.text === 'because') && has({ ...ctx, tokens: tokens.slice(m.end) }, HYPERBOLE_REASON);
    if (!escalated && reasonClause) {
      out.add('hyperbole');
      continue;
    }
    out.add('harm_to_other');
  }
  // Danger to the user from someone else.
  if (!ctx.media) {
    const threat = matches(ctx, REPORTED_THREAT).some((m) => !spanTokens(ctx, m).some((t) => t.idiom));
    const violenceNow = has(ctx, DANGER_NOW) && (message.mentionsPerson || message.violent);
    const weaponNearby = tokens.some((t) => inClass(t, 'WEAPON')) && message.mentionsOtherAgent && !message.firstPersonWeapon;
    if ((threat && !message.laughing) || (violenceNow && (message.fearful || message.violent || threat)) || (weaponNearby && (message.fearful || ctx.imminent || has(ctx, DANGER_NOW)))) {
      out.add('danger_from_other');
    } else if (threat) {
      out.add('unsafe_home');
    }
    if (has(ctx, UNSAFE_HOME)) out.add('unsafe_home');
  }
}

function hopelessScore(ctx: SentenceContext): number {
  const tokens = ctx.tokens;
  let score = 0;
  for (const m of matches(ctx, HOPELESS_PHRASES)) {
    if (!spanTokens(ctx, m).some((t) => t.idiom)) score += 1.5;
  }
  const strong = new Set(['hopeless', 'worthless', 'pointless', 'trapped', 'unlovable', 'unloveable']);
  for (const t of tokens) {
    if (!inClass(t, 'HOPELESS') || t.idiom) continue;
    if (t.negated) continue;
    score += strong.has(t.text) ? 1 : 0.5;
  }
  if (score > 0 && tokens.some((t) => inClass(t, 'GLOBALISER') && !['ever', 'all'].includes(t.text))) score += 0.5;
  if (score > 0 && ctx.mood.score <= -3) score += 0.25;
  return score;
}

const DISTRESS_PHRASES: readonly CompiledPattern[] = [
  p('not *2 okay|ok|alright|fine|coping|good|well|myself|enough|right'),
  p('never *2 good enough'),
  p('can not focus|sleep|stop|cope|concentrate|breathe|relax|switch'),
  p('hard|rough|tough|bad|awful|terrible time|week|day|night|year|month'),
  p('fed up'),
  p('feel|feeling|felt flat|off|meh|blah|heavy|low|down|lost|alone'),
  p('nobody|one understands|gets|listens|likes'),
  p('not *2 left the? house|bed|room|flat'),
  p('not have any? friends|one'),
  p('wish things|it|life was|were different'),
  p('chest|throat gets|is|feels tight'),
  p('can not do this|it anymore'),
  p('too much'),
  p('dying|dead inside'),
  p('replaying|overthinking|ruminating'),
  p('not *2 want to get out of bed'),
  p('get|getting out of bed'),
  p('mental health *3 bad|poor|awful|terrible|worse|rough|struggling'),
  p('never|barely|hardly *2 sleep|sleeping|slept'),
  p('not sleeping'),
];

/** Emotions that stay distress even inside a figure of speech ("so embarrassed I could die"). */
const EMOTIONS_INSIDE_IDIOMS = new Set(['embarrassed', 'ashamed', 'scared', 'worried', 'stressed', 'anxious', 'sad', 'lonely']);

function detectDistress(ctx: SentenceContext, out: Set<Signal>): void {
  if (ctx.media) return;
  const tokens = ctx.tokens;
  // An idiom's own death word is not distress, but "so embarrassed I could die" still is embarrassment.
  const distressWord = tokens.some((t) => inClass(t, 'DISTRESS') && (!t.idiom || EMOTIONS_INSIDE_IDIOMS.has(t.text)) && !(t.negated && !['sleep', 'cope', 'coping', 'motivation'].includes(t.lemma)));
  const speakerFeels = tokens.some((t) => (t.text === 'i' || t.text === 'me') && !t.idiom);
  // In a game, a lecture or a news story negative words describe the topic, not the speaker.
  const topical = ctx.professional || tokens.some((t) => inClass(t, 'GAMING'));
  const negativeMood = speakerFeels && !topical && (ctx.mood.score <= -2 || ctx.mood.comparative <= -0.5);
  const innerDeath = findAll(tokens, p('dying|dead inside'), true).length > 0;
  if (distressWord || negativeMood || innerDeath || has(ctx, DISTRESS_PHRASES)) out.add('distress');
}

export interface MessageView {
  readonly sentences: readonly Sentence[];
  readonly laughing: boolean;
  readonly fearful: boolean;
  readonly violent: boolean;
  readonly mentionsPerson: boolean;
  readonly mentionsOtherAgent: boolean;
  readonly firstPersonWeapon: boolean;
}

export function messageView(sentences: readonly Sentence[]): MessageView {
  const all = sentences.flatMap((s) => s.tokens);
  const firstPersonWeapon = sentences.some((s) => findAll(s.tokens, p('I *3 have|got|bringing|bring|carry|with *3 @WEAPON')).length > 0 || findAll(s.tokens, p('my @WEAPON')).length > 0);
  return {
    sentences,
    laughing: all.some((t) => inClass(t, 'LAUGHTER')),
    fearful: all.some((t) => inClass(t, 'FEAR') && !t.negated),
    violent: all.some((t) => ['hit', 'hitting', 'beat', 'beating', 'choked', 'choking', 'drunk', 'screaming', 'punched', 'kicked', 'grabbed', 'threatened', 'locked'].includes(t.text)),
    mentionsPerson: all.some((t) => inClass(t, 'PERSON') && t.text !== 'you'),
    mentionsOtherAgent: all.some((t) => inClass(t, 'SUBJECT_PRONOUN_OTHER') || (inClass(t, 'PERSON') && !['i', 'you', 'everyone'].includes(t.text))),
    firstPersonWeapon,
  };
}

/** All findings for one sentence of a message. */
export function findInSentence(sentence: Sentence, mood: Mood, message: MessageView): SentenceFindings {
  const ctx = contextOf(sentence, mood);
  const out = new Set<Signal>();
  if (ctx.media) out.add('media_context');
  if (ctx.professional) out.add('professional_context');
  if (sentence.tokens.some((t) => inClass(t, 'GAMING'))) out.add('gaming_context');

  const { ideationOnly } = detectSelfActs(ctx, out);
  detectDeathWish(ctx, out);

  const selfFrame = !ctx.media && !(ctx.professional && !ctx.words.has('my'));
  if (selfFrame && has(ctx, METHOD_RESEARCH) && !ctx.words.has('support')) out.add('method_research');
  if (selfFrame) {
    for (const m of matches(ctx, PREPARATORY)) {
      const span = spanTokens(ctx, m);
      if (span.some((t) => t.idiom || t.negated)) continue;
      const agent = agentBefore(ctx.tokens, m.start);
      if (agent === 'other') continue;
      if (hasBenignPurpose(ctx.tokens, m)) continue;
      out.add('preparatory_act');
      if (span.some((t) => inClass(t, 'METHOD'))) out.add('method');
    }
    for (const m of matches(ctx, METHOD_ACCESS)) {
      const span = spanTokens(ctx, m);
      if (span.some((t) => t.idiom || t.negated)) continue;
      if (agentBefore(ctx.tokens, m.start) === 'other' && !span.some((t) => t.text === 'my')) continue;
      out.add('method_access');
      out.add('method');
    }
    if (has(ctx, IN_PROGRESS)) out.add('self_harm_in_progress');
    // "I'm on the bridge now": being at a place of danger, said as news.
    if (has(ctx, [p('I am *2 on|at the|a|my roof|rooftop|bridge|ledge|edge|cliff|tracks|railway')]) && (ctx.words.has('now') || ctx.tokens.length <= 8)) out.add('self_harm_in_progress');
    if (has(ctx, PLAN)) out.add('plan');
    if (has(ctx, FINALITY) && !ctx.tokens.some((t) => inClass(t, 'BENIGN_ABSENCE'))) out.add('finality');
    if (matches(ctx, VAGUE_INTENT).some((m) => !spanTokens(ctx, m).some((t) => t.negated))) out.add('vague_intent');
    for (const m of matches(ctx, BURDEN)) {
      const span = spanTokens(ctx, m);
      const aboutMe = span.some((t) => t.text === 'me' || t.text === 'i') || agentBefore(ctx.tokens, m.start) !== 'other';
      if (!span.some((t) => t.idiom) && aboutMe) out.add('burden');
    }
    const goodbyeToken = ctx.tokens.find((t) => (t.lemma === 'goodbye' || t.text === 'goodbyes' || t.text === 'farewell') && !t.idiom);
    const benignGoodbye = ctx.tokens.some((t) => BENIGN_GOODBYE_WORDS.has(t.text)) || (goodbyeToken !== undefined && saysGoodbyeToAThing(ctx.tokens, goodbyeToken.index));
    if (goodbyeToken && !benignGoodbye && agentBefore(ctx.tokens, goodbyeToken.index) !== 'other') out.add('goodbye');
    if (goodbyeToken && agentBefore(ctx.tokens, goodbyeToken.index) === 'other' && !ctx.professional) out.add('third_party_concern');
  }
  if (ctx.tokens.some((t) => inClass(t, 'METHOD') && !t.idiom) && !ctx.media) {
    out.add('method');
    // "I keep thinking about the bridge near work": a method held in mind.
    if (has(ctx, [p('think|thinking|thought|imagine|imagining|picture|picturing about|of *4 @METHOD')]) && !ctx.tokens.some((t) => t.negated)) out.add('ideation');
  }
  if (ctx.imminent) out.add('timeframe_imminent');
  if (has(ctx, MITIGATION)) out.add('denies_intent');
  if (selfFrame && has(ctx, [p('google|googling|googled|search|searching|searched|reading|read suicide|overdose|overdosing|overdoses')]) && agentBefore(ctx.tokens, 0) !== 'other') out.add('ideation');
  detectOthers(ctx, out, message);
  const score = hopelessScore(ctx);
  if (score >= 1.5 && !ctx.media) out.add('hopelessness');
  detectDistress(ctx, out);
  if (ctx.tokens.some((t) => t.idiom)) out.add('idiom');
  return { signals: out, ideationOnly, hopelessScore: score };
}
