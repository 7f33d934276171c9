import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyVersioned } from '../src/index';
import type { VersionedDocument } from '../src/index';
import { mongoFixture } from './integrationFixture';
import type { MongoFixture } from './integrationFixture';

interface Account extends VersionedDocument {
  credits: number;
  owner?: string;
}

let mongo: MongoFixture;
beforeAll(async () => {
  mongo = await mongoFixture();
});
afterAll(async () => {
  await mongo.close();
});

describe('applyVersioned', () => {
  it('applies each version once and in order', async () => {
    const accounts = mongo.db.collection<Account>('accounts');
    expect(await applyVersioned(accounts, 'a1', 1, { $set: { owner: 'ada' }, $inc: { credits: 10 } })).toBe('applied');
    expect(await applyVersioned(accounts, 'a1', 1, { $set: { owner: 'ada' }, $inc: { credits: 10 } })).toBe('stale');
    expect(await applyVersioned(accounts, 'a1', 3, { $inc: { credits: -3 } })).toBe('gap');
    expect(await applyVersioned(accounts, 'a1', 2, { $inc: { credits: -2 } })).toBe('applied');
    expect(await applyVersioned(accounts, 'a1', 3, { $inc: { credits: -3 } })).toBe('applied');
    expect(await applyVersioned(accounts, 'a1', 2, { $inc: { credits: -2 } })).toBe('stale');
    expect(await accounts.findOne({ _id: 'a1' })).toEqual({ _id: 'a1', owner: 'ada', credits: 5, version: 3 });
  });

  it('reports a gap for a document that does not exist yet', async () => {
    const accounts = mongo.db.collection<Account>('accounts');
    expect(await applyVersioned(accounts, 'a2', 2, { $inc: { credits: 1 } })).toBe('gap');
    expect(await accounts.findOne({ _id: 'a2' })).toBeNull();
  });

  it('lets exactly one of racing first writers create the document', async () => {
    const accounts = mongo.db.collection<Account>('accounts');
    const results = await Promise.all(Array.from({ length: 6 }, () => applyVersioned(accounts, 'a3', 1, { $inc: { credits: 1 } })));
    expect(results.filter((r) => r === 'applied')).toHaveLength(1);
    expect(results.filter((r) => r === 'stale')).toHaveLength(5);
    expect(await accounts.findOne({ _id: 'a3' })).toEqual({ _id: 'a3', credits: 1, version: 1 });
  });

  it('refuses updates that touch the version itself', async () => {
    const accounts = mongo.db.collection<Account>('accounts');
    await expect(applyVersioned(accounts, 'a4', 1, { $set: { version: 7 } })).rejects.toThrow(/guard owns them/);
    await expect(applyVersioned(accounts, 'a4', 0, { $inc: { credits: 1 } })).rejects.toThrow(RangeError);
  });
});
