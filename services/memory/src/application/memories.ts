import { createHash } from 'node:crypto';
import { handleCommand, type EventStorePort, type StoredEvent } from '@haven/eventstore';
import { errors } from '@haven/platform';
import { decryptText, encryptText, DecryptionError } from '../crypto/envelope-cipher';
import type { MemoryEvent, MemoryStatus } from '../domain/events';
import { memoryDecider, type MemoryCommand } from '../domain/memory';
import { filterTheme } from '../domain/privacy-filter';
import type { MemoryDoc, MemoryReadModelPort } from '../projections/memories';
import type { DataKeyMetadata, DataKeys } from './data-keys';

export interface MemoryView {
  id: string;
  userId: string;
  personaId: string;
  sessionId: string;
  text: string;
  status: MemoryStatus;
  generalised: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface MemoriesDeps {
  store: EventStorePort<MemoryEvent>;
  keys: DataKeys;
  readModel: MemoryReadModelPort;
  newId: () => string;
  now: () => Date;
}

export const MAX_THEMES_PER_PROPOSAL = 20;

/** Deterministic memory id of a theme proposed from a session. */
export function proposalId(userId: string, sessionId: string, theme: string): string {
  return `mem-${createHash('sha256').update(`${userId}\n${sessionId}\n${theme.toLowerCase()}`).digest('hex').slice(0, 32)}`;
}
const ID = /^[A-Za-z0-9_-]{1,128}$/;

function requireId(name: string, value: string, optional = false): void {
  if (optional && value === '') return;
  if (!ID.test(value)) throw errors.invalidArgument('INVALID_ID', `${name} must be 1-128 characters of A-Z a-z 0-9 _ -`);
}

/** Consented memories: the use cases behind the gRPC API. Plaintext exists only inside these calls. */
export class Memories {
  constructor(private readonly deps: MemoriesDeps) {}

  private async run(memoryId: string, command: MemoryCommand, actor: string): Promise<StoredEvent<MemoryEvent>[]> {
    const { events } = await handleCommand({ store: this.deps.store, aggregateId: memoryId, decider: memoryDecider, command, meta: { actor, now: this.deps.now() } });
    // Read-your-writes: apply to the read model now; the projection consumer applies the same
    // events again later and the version guard makes that a no-op.
    for (const e of events) await this.deps.readModel.apply(e);
    return events;
  }

  async propose(input: { userId: string; personaId: string; sessionId: string; themes: readonly string[] }): Promise<{ memories: MemoryView[]; dropped: number }> {
    requireId('user_id', input.userId);
    requireId('persona_id', input.personaId);
    requireId('session_id', input.sessionId, true);
    if (input.themes.length > MAX_THEMES_PER_PROPOSAL) throw errors.invalidArgument('TOO_MANY_THEMES', `at most ${MAX_THEMES_PER_PROPOSAL} themes per proposal`);
    const seen = new Set<string>();
    const accepted: { text: string; generalised: boolean }[] = [];
    let dropped = 0;
    for (const theme of input.themes) {
      const filtered = filterTheme(theme);
      if (filtered.outcome === 'dropped') {
        dropped += 1;
        continue;
      }
      const norm = filtered.text.toLowerCase();
      if (seen.has(norm)) continue;
      seen.add(norm);
      accepted.push({ text: filtered.text, generalised: filtered.outcome === 'generalised' });
    }
    if (accepted.length === 0) return { memories: [], dropped };

    const { keyId, key } = await this.deps.keys.require(input.userId);
    const memories: MemoryView[] = [];
    for (const theme of accepted) {
      // From a session, the id is derived from (user, session, theme), so proposing again is a no-op.
      const memoryId = input.sessionId === '' ? this.deps.newId() : proposalId(input.userId, input.sessionId, theme.text);
      await this.run(
        memoryId,
        {
          type: 'ProposeMemory',
          data: { memoryId, userId: input.userId, personaId: input.personaId, sessionId: input.sessionId, text: encryptText(key, keyId, theme.text, memoryId), generalised: theme.generalised },
        },
        'memory',
      );
      const doc = await this.deps.readModel.byId(memoryId);
      if (doc) memories.push(this.view(doc, key, theme.text));
    }
    return { memories, dropped };
  }

  async decide(userId: string, memoryId: string, approve: boolean): Promise<MemoryView> {
    requireId('user_id', userId);
    requireId('memory_id', memoryId);
    await this.run(memoryId, { type: 'DecideMemory', data: { memoryId, userId, approved: approve } }, userId);
    return this.one(userId, memoryId);
  }

  async edit(userId: string, memoryId: string, text: string): Promise<MemoryView> {
    requireId('user_id', userId);
    requireId('memory_id', memoryId);
    // Ownership first, so a stranger learns nothing from the filter's answer.
    await this.ownedDoc(userId, memoryId);
    const filtered = filterTheme(text);
    if (filtered.outcome === 'dropped') {
      throw errors.invalidArgument('MEMORY_TEXT_NOT_ALLOWED', `memories hold general themes only: no names, places, dates, contact details, trauma or medical specifics (${filtered.reason})`);
    }
    const { keyId, key } = await this.deps.keys.require(userId);
    await this.run(
      memoryId,
      { type: 'EditMemory', data: { memoryId, userId, text: encryptText(key, keyId, filtered.text, memoryId), generalised: filtered.outcome === 'generalised' } },
      userId,
    );
    return this.one(userId, memoryId);
  }

  async delete(userId: string, memoryId: string): Promise<void> {
    requireId('user_id', userId);
    requireId('memory_id', memoryId);
    await this.run(memoryId, { type: 'DeleteMemory', data: { memoryId, userId } }, userId);
  }

  async list(userId: string): Promise<MemoryView[]> {
    requireId('user_id', userId);
    return this.decryptAll(userId, await this.deps.readModel.byUser(userId));
  }

  /** Only approved memories, only of this persona: nothing carries over without consent. */
  async approved(userId: string, personaId: string): Promise<MemoryView[]> {
    requireId('user_id', userId);
    requireId('persona_id', personaId);
    return this.decryptAll(userId, await this.deps.readModel.byUser(userId, { status: 'approved', personaId }));
  }

  /** Everything the memory service holds about the user, as a JSON-ready object (no key material). */
  async export(userId: string, now: Date): Promise<{ userId: string; exportedAt: string; dataKey: DataKeyMetadata; memories: Omit<MemoryView, 'userId'>[] }> {
    requireId('user_id', userId);
    const [dataKey, memories] = await Promise.all([this.deps.keys.metadata(userId), this.list(userId)]);
    return { userId, exportedAt: now.toISOString(), dataKey, memories: memories.map(({ userId: _u, ...m }) => m) };
  }

  async erase(userId: string, requestedBy: string): Promise<{ alreadyErased: boolean }> {
    requireId('user_id', userId);
    const result = await this.deps.keys.erase(userId, requestedBy);
    await this.deps.readModel.deleteUser(userId, this.deps.now());
    return result;
  }

  private async ownedDoc(userId: string, memoryId: string): Promise<MemoryDoc & { status: MemoryStatus }> {
    const doc = await this.deps.readModel.byId(memoryId);
    if (!doc || doc.userId !== userId || doc.status === 'deleted') throw errors.notFound('MEMORY_NOT_FOUND', 'no such memory');
    return doc as MemoryDoc & { status: MemoryStatus };
  }

  private async one(userId: string, memoryId: string): Promise<MemoryView> {
    const doc = await this.ownedDoc(userId, memoryId);
    const [view] = await this.decryptAll(userId, [doc]);
    if (!view) throw errors.notFound('MEMORY_NOT_FOUND', 'no such memory');
    return view;
  }

  private async decryptAll(userId: string, docs: MemoryDoc[]): Promise<MemoryView[]> {
    if (docs.length === 0) return [];
    const found = await this.deps.keys.get(userId, { create: false });
    if (found.status !== 'active') return [];
    return docs.map((d) => this.view(d, found.key));
  }

  private view(doc: MemoryDoc, key: Buffer, plaintext?: string): MemoryView {
    let text = plaintext;
    if (text === undefined) {
      try {
        text = decryptText(key, doc.text, doc._id);
      } catch (err) {
        if (err instanceof DecryptionError) throw errors.failedPrecondition('MEMORY_UNREADABLE', 'this memory cannot be decrypted');
        throw err;
      }
    }
    return {
      id: doc._id,
      userId: doc.userId,
      personaId: doc.personaId,
      sessionId: doc.sessionId,
      text,
      status: doc.status as MemoryStatus,
      generalised: doc.generalised,
      createdAt: doc.createdAt,
      updatedAt: doc.updatedAt,
    };
  }
}
