/**
 * Texting style, slang and frequent misspellings, rewritten to plain English before the text
 * reaches the tokenizer. Keys are lower-case single tokens (after letter-repeat squashing);
 * `risk` marks entries whose use is itself worth reporting as a `slang:<key>` signal.
 */
export interface SlangEntry {
  readonly plain: string;
  readonly risk?: boolean;
}

export const SLANG: ReadonlyMap<string, SlangEntry> = new Map<string, SlangEntry>([
  // self-harm and suicide slang
  ['kms', { plain: 'kill myself', risk: true }],
  ['unalive', { plain: 'kill', risk: true }],
  ['unalives', { plain: 'kills', risk: true }],
  ['unalived', { plain: 'killed', risk: true }],
  ['unaliving', { plain: 'killing', risk: true }],
  ['sewerslide', { plain: 'suicide', risk: true }],
  ['sewerslided', { plain: 'killed myself', risk: true }],
  ['suicied', { plain: 'suicide' }],
  ['sucide', { plain: 'suicide' }],
  ['suicde', { plain: 'suicide' }],
  ['suside', { plain: 'suicide' }],
  ['sooicide', { plain: 'suicide' }],
  ['su1c1de', { plain: 'suicide' }],
  ['su1cide', { plain: 'suicide' }],
  ['k1ll', { plain: 'kill' }],
  ['kil', { plain: 'kill' }],
  ['kll', { plain: 'kill' }],
  ['kiil', { plain: 'kill' }],
  ['kilin', { plain: 'killing' }],
  ['kiling', { plain: 'killing' }],
  ['killin', { plain: 'killing' }],
  ['myslef', { plain: 'myself' }],
  ['mysef', { plain: 'myself' }],
  ['myselff', { plain: 'myself' }],
  ['meself', { plain: 'myself' }],
  ['od', { plain: 'overdose', risk: true }],
  ["od'd", { plain: 'overdosed', risk: true }],
  ['oded', { plain: 'overdosed', risk: true }],
  ['oding', { plain: 'overdosing', risk: true }],
  ['ctb', { plain: 'kill myself', risk: true }],
  ['dieee', { plain: 'die' }],
  ['ded', { plain: 'dead' }],
  // time
  ['tn', { plain: 'tonight' }],
  ['2nite', { plain: 'tonight' }],
  ['2night', { plain: 'tonight' }],
  ['tonite', { plain: 'tonight' }],
  ['tonigth', { plain: 'tonight' }],
  ['tonights', { plain: "tonight's" }],
  ['2day', { plain: 'today' }],
  ['tmrw', { plain: 'tomorrow' }],
  ['tmr', { plain: 'tomorrow' }],
  ['tmw', { plain: 'tomorrow' }],
  ['tmro', { plain: 'tomorrow' }],
  ['2moro', { plain: 'tomorrow' }],
  ['2morrow', { plain: 'tomorrow' }],
  ['rn', { plain: 'right now' }],
  ['atm', { plain: 'at the moment' }],
  ['b4', { plain: 'before' }],
  // contractions written without apostrophes, and the tokenizer-unfriendly "I'm"
  ['im', { plain: 'I am' }],
  ["i'm", { plain: 'I am' }],
  ['ive', { plain: 'I have' }],
  ['dont', { plain: 'do not' }],
  ['doesnt', { plain: 'does not' }],
  ['didnt', { plain: 'did not' }],
  ['cant', { plain: 'can not' }],
  ['cannot', { plain: 'can not' }],
  ['couldnt', { plain: 'could not' }],
  ['wont', { plain: 'will not' }],
  ['wouldnt', { plain: 'would not' }],
  ['shouldnt', { plain: 'should not' }],
  ['isnt', { plain: 'is not' }],
  ['wasnt', { plain: 'was not' }],
  ['arent', { plain: 'are not' }],
  ['werent', { plain: 'were not' }],
  ['havent', { plain: 'have not' }],
  ['hasnt', { plain: 'has not' }],
  ['aint', { plain: 'am not' }],
  ['youre', { plain: 'you are' }],
  ['theyre', { plain: 'they are' }],
  ['thats', { plain: 'that is' }],
  ['whats', { plain: 'what is' }],
  ['hes', { plain: 'he is' }],
  ['shes', { plain: 'she is' }],
  ['itll', { plain: 'it will' }],
  // texting
  ['gonna', { plain: 'going to' }],
  ['gona', { plain: 'going to' }],
  ['finna', { plain: 'going to' }],
  ['wanna', { plain: 'want to' }],
  ['wana', { plain: 'want to' }],
  ['gotta', { plain: 'got to' }],
  ['tryna', { plain: 'trying to' }],
  ['u', { plain: 'you' }],
  ['ur', { plain: 'your' }],
  ['r', { plain: 'are' }],
  ['y', { plain: 'why' }],
  ['bc', { plain: 'because' }],
  ['cuz', { plain: 'because' }],
  ['coz', { plain: 'because' }],
  ['bout', { plain: 'about' }],
  ['abt', { plain: 'about' }],
  ['idk', { plain: 'I do not know' }],
  ['idc', { plain: 'I do not care' }],
  ['tbh', { plain: 'to be honest' }],
  ['ngl', { plain: 'not gonna lie' }],
  ['fr', { plain: 'for real' }],
  ['pls', { plain: 'please' }],
  ['plz', { plain: 'please' }],
  ['ppl', { plain: 'people' }],
  ['bf', { plain: 'boyfriend' }],
  ['gf', { plain: 'girlfriend' }],
  ['thx', { plain: 'thanks' }],
  ['w/', { plain: 'with' }],
  ['nvm', { plain: 'never mind' }],
  ['af', { plain: 'very' }],
  ['rly', { plain: 'really' }],
  ['sry', { plain: 'sorry' }],
  ['msg', { plain: 'message' }],
]);

/**
 * Key terms that misspellings are corrected towards (edit distance, see textNormalisation.ts).
 * Only words long enough that a near miss is unlikely to be a different real word.
 */
export const SPELLING_TARGETS: readonly string[] = [
  'suicide', 'suicidal', 'myself', 'overdose', 'overdosed', 'overdosing', 'unalive',
  'paracetamol', 'goodbye', 'hopeless', 'worthless', 'tonight', 'tomorrow', 'burden',
  'anymore', 'everyone', 'thinking', 'killing',
];

/** "Slang" signals stay stable under spelling variants (`kmss`, `KMS`). */
export function slangSignal(key: string): string {
  if (key.startsWith('unalive')) return 'slang:unalive';
  if (key.startsWith('sewerslide')) return 'slang:sewerslide';
  if (key.startsWith('od')) return 'slang:od';
  return `slang:${key.replace(/[^a-z0-9]/g, '')}`;
}
