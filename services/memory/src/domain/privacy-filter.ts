import nlp from 'compromise';

/**
 * What a therapeutic memory may hold: a general theme ("work stress", "setting boundaries"),
 * never who, where or what exactly happened. Names, places, organisations, dates and numbers are
 * cut out (the rest of the theme is kept when it still says something); themes about trauma,
 * abuse, self-harm or medical specifics, and contact details, are refused outright, because a
 * generalised version of them would still carry the detail.
 *
 * Named entities come from compromise (people, places, organisations, honorifics, first and last
 * names); capitalised words inside a theme and the word right after a relation ("my friend X")
 * are treated as names too, erring on the side of removing too much.
 */
export type FilteredTheme =
  | { readonly outcome: 'kept'; readonly text: string }
  | { readonly outcome: 'generalised'; readonly text: string; readonly removed: readonly RemovedKind[] }
  | { readonly outcome: 'dropped'; readonly reason: DropReason };

export type RemovedKind = 'person' | 'place' | 'organisation' | 'date' | 'number';
export type DropReason = 'sensitive_detail' | 'contact_detail' | 'empty' | 'too_long';

export const MAX_THEME_LENGTH = 200;

// Trauma, abuse, violence, self-harm and medical specifics. Stems match at a word start
// ("assault" covers "assaulted"); short words match whole words only ("std" is not "study").
const SENSITIVE_STEMS = [
  'abus', 'assault', 'rape', 'raping', 'molest', 'grope', 'groping', 'incest', 'traffick', 'beaten', 'battered',
  'stabb', 'shooting', 'strangl', 'chok', 'kidnap', 'tortur', 'murder', 'suicid', 'overdos', 'self-harm', 'selfharm',
  'hanged', 'miscarr', 'abortion', 'stillbirth', 'cancer', 'chemotherap', 'tumour', 'tumor', 'diagnos', 'schizophren',
  'bipolar', 'psychos', 'psychotic', 'hospitalis', 'hospitaliz', 'sectioned', 'herpes', 'hepatitis', 'sertraline',
  'fluoxetine', 'citalopram', 'escitalopram', 'venlafaxine', 'mirtazapine', 'lithium', 'olanzapine', 'quetiapine',
  'diazepam', 'lorazepam', 'xanax', 'prozac', 'zoloft', 'methadone', 'heroin', 'cocaine', 'medication', 'prescri',
  'dosage', 'surgery', 'violen', 'accident', 'flashback', 'widow',
];
const SENSITIVE_WORDS = ['hiv', 'aids', 'std', 'sti', 'meth', 'war', 'shot', 'ptsd', 'rehab', 'chemo', 'cutting myself', 'self harm', 'psychiatric ward', 'hanging myself'];
const SENSITIVE = new RegExp(`\\b(?:${SENSITIVE_STEMS.join('|')})|\\b(?:${SENSITIVE_WORDS.join('|')})\\b`, 'i');
const DOSAGE = /\b\d+(\.\d+)?\s?(mg|mcg|ml|g)\b/i;
const CONTACT = /(@|https?:\/\/|www\.|\+?\d[\d\s().-]{6,}\d)/i;

// Relations after which a bare word is most likely a name ("my friend priya").
const RELATIONS = new Set([
  'friend', 'boss', 'manager', 'colleague', 'coworker', 'partner', 'boyfriend', 'girlfriend', 'husband', 'wife',
  'mother', 'father', 'mum', 'mom', 'dad', 'sister', 'brother', 'son', 'daughter', 'aunt', 'uncle', 'cousin',
  'grandmother', 'grandfather', 'grandma', 'grandpa', 'therapist', 'doctor', 'teacher', 'neighbour', 'neighbor',
  'ex', 'flatmate', 'roommate', 'landlord', 'counsellor', 'counselor', 'nurse', 'coach', 'mentor', 'fiance', 'fiancee',
]);
// Words that legitimately follow a relation ("my friend group", "my boss at work").
const AFTER_RELATION_OK = new Set(['group', 'groups', 'circle', 'circles', 'relationship', 'relationships', 'dynamics', 'issues', 'conflict', 'conflicts', 'time', 'situation']);
// Prepositions and articles left dangling when the entity after them is removed.
const DANGLING = new Set(['in', 'at', 'from', 'with', 'to', 'on', 'near', 'called', 'named', 'since', 'during', 'of', 'the', 'a', 'an', 'and', 'by', 'for']);

interface Term {
  readonly text: string;
  readonly tags: readonly string[];
}

function termsOf(text: string): Term[] {
  const json = nlp(text).json() as { terms: { text: string; tags: string[] }[] }[];
  return json.flatMap((s) => s.terms.map((t) => ({ text: t.text, tags: t.tags })));
}

function kindOf(term: Term, index: number, terms: readonly Term[]): RemovedKind | undefined {
  const has = (tag: string) => term.tags.includes(tag);
  const lower = term.text.toLowerCase();
  // Specific dates only: "March", "Tuesday", "2019"; generic "week" or "night" stay.
  if (has('Month') || has('WeekDay') || has('Year') || (has('Date') && has('ProperNoun'))) return 'date';
  if (has('Value') || /\d/.test(term.text)) return 'number';
  if (has('Place') || has('City') || has('Country') || has('Region') || has('Address')) return 'place';
  if (has('Organization') || has('SportsTeam') || has('Company')) return 'organisation';
  if (RELATIONS.has(lower)) return undefined; // "my sister": a role, not a name.
  if (has('FirstName') || has('LastName') || has('Honorific') || has('MaleName') || has('FemaleName')) return 'person';
  if (has('Person') || has('ProperNoun')) return 'person';
  // A capitalised word that does not start the theme is a proper noun the tagger did not know.
  if (index > 0 && /^\p{Lu}/u.test(term.text) && lower !== 'i') return 'person';
  const previous = terms[index - 1];
  if (previous !== undefined && RELATIONS.has(previous.text.toLowerCase()) && has('Noun') && !AFTER_RELATION_OK.has(lower) && !has('Plural')) {
    return 'person';
  }
  return undefined;
}

function isSensitive(text: string): boolean {
  return SENSITIVE.test(text) || DOSAGE.test(text);
}

/** Filters one proposed theme (or an edited memory text). Pure. */
export function filterTheme(input: string): FilteredTheme {
  const text = input.replace(/\s+/g, ' ').trim();
  if (text === '') return { outcome: 'dropped', reason: 'empty' };
  if (text.length > MAX_THEME_LENGTH) return { outcome: 'dropped', reason: 'too_long' };
  if (CONTACT.test(text)) return { outcome: 'dropped', reason: 'contact_detail' };
  if (isSensitive(text)) return { outcome: 'dropped', reason: 'sensitive_detail' };

  const terms = termsOf(text);
  const removed = new Set<RemovedKind>();
  const keep = terms.map((t, i) => {
    const kind = kindOf(t, i, terms);
    if (kind !== undefined) removed.add(kind);
    return kind === undefined;
  });
  if (removed.size === 0) return { outcome: 'kept', text };

  // Drop words left dangling in front of a removed entity ("in Leeds" → nothing, not "in").
  const kept: string[] = [];
  terms.forEach((t, i) => {
    if (!keep[i]) return;
    let next = i + 1;
    while (next < terms.length && keep[next] && DANGLING.has(terms[next]!.text.toLowerCase())) next += 1;
    const danglingBeforeRemoved = DANGLING.has(t.text.toLowerCase()) && (i + 1 >= terms.length || !keep[i + 1] || next >= terms.length || !keep[next]);
    if (!danglingBeforeRemoved) kept.push(t.text);
  });
  while (kept.length > 0 && DANGLING.has(kept[kept.length - 1]!.toLowerCase())) kept.pop();
  const generalised = kept.join(' ').replace(/[\s,;:.-]+$/, '').trim();
  // "my" alone or a single stop word says nothing about the person.
  const meaningful = generalised.split(' ').filter((w) => w !== '' && !DANGLING.has(w.toLowerCase()) && w.toLowerCase() !== 'my');
  if (meaningful.length === 0) return { outcome: 'dropped', reason: 'empty' };
  return { outcome: 'generalised', text: generalised, removed: [...removed] };
}
