import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { beforeAll, describe, expect, it } from 'vitest';
import { correctSpelling, normaliseText, type IsKnownWord } from '../src/classifier/textNormalisation';

let isKnown: IsKnownWord;
beforeAll(() => {
  const lexicon = winkNLP(model, ['sbd']).readDoc('');
  isKnown = (word) => !lexicon.isOOV(word);
});

describe('texting-style normalisation', () => {
  it('expands slang and contractions and reports risk slang', () => {
    const out = normaliseText('im gonna kms tn', isKnown);
    expect(out.text).toBe('I am going to kill myself tonight');
    expect(out.signals).toEqual(['slang:kms']);
  });

  it('squashes repeated letters towards a known word', () => {
    expect(normaliseText('sooo tired', isKnown).text).toBe('so tired');
    expect(normaliseText('I want to dieeee', isKnown).text).toBe('I want to die');
  });

  it('restores dropped g and rewrites multi-word slang', () => {
    expect(normaliseText('thinkin about it', isKnown).text).toBe('thinking about it');
    expect(normaliseText('gonna self delete', isKnown).text).toBe('going to kill myself');
  });

  it('corrects misspelt key terms but leaves real words alone', () => {
    expect(correctSpelling('suicde')).toBe('suicide');
    expect(correctSpelling('myslef')).toBe('myself');
    expect(normaliseText('I am willing to try', isKnown).text).toBe('I am willing to try');
    expect(normaliseText('my paracetamol', isKnown).text).toBe('my paracetamol');
  });

  it('reads "kys" as self-directed only when the writer is its subject', () => {
    expect(normaliseText('i should just kys', isKnown).text).toBe('I should just kill myself');
    expect(normaliseText('he told me to kys', isKnown).text).toBe('he told me to kill yourself');
  });
});
