import { errors, type ServiceHandlers } from '@haven/platform';
import type { memoryV1 } from '@haven/proto';
import type { DataKeys } from '../application/data-keys';
import type { Memories, MemoryView } from '../application/memories';

function toProto(m: MemoryView): memoryV1.Memory {
  return {
    id: m.id,
    userId: m.userId,
    personaId: m.personaId,
    sessionId: m.sessionId,
    text: m.text,
    status: m.status,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    generalised: m.generalised,
  };
}

const USER_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The MemoryService gRPC API over the use cases; protobuf types stop here. */
export function memoryHandlers(deps: { memories: Memories; keys: DataKeys; now: () => Date }): ServiceHandlers<typeof memoryV1.MemoryServiceService> {
  const { memories, keys } = deps;
  return {
    proposeMemories: async (req) => {
      const res = await memories.propose({ userId: req.userId, personaId: req.personaId, sessionId: req.sessionId, themes: req.themes });
      return { memories: res.memories.map(toProto), dropped: res.dropped };
    },
    decideMemory: async (req) => ({ memory: toProto(await memories.decide(req.userId, req.memoryId, req.approve)) }),
    editMemory: async (req) => ({ memory: toProto(await memories.edit(req.userId, req.memoryId, req.text)) }),
    deleteMemory: async (req) => {
      await memories.delete(req.userId, req.memoryId);
      return {};
    },
    listMemories: async (req) => ({ memories: (await memories.list(req.userId)).map(toProto) }),
    getApprovedMemories: async (req) => ({ memories: (await memories.approved(req.userId, req.personaId)).map(toProto) }),
    getDataKey: async (req) => {
      if (!USER_ID.test(req.userId)) throw errors.invalidArgument('INVALID_ID', 'user_id must be 1-128 characters of A-Z a-z 0-9 _ -');
      const found = await keys.get(req.userId, { create: req.create });
      switch (found.status) {
        case 'active':
          return { keyId: found.keyId, key: Buffer.from(found.key), erased: false };
        case 'erased':
          return { keyId: '', key: Buffer.alloc(0), erased: true };
        case 'none':
          throw errors.notFound('DATA_KEY_NOT_FOUND', 'the user has no data key yet (ask with create=true)');
        default: {
          const never: never = found;
          return never;
        }
      }
    },
    exportUserData: async (req) => ({ json: JSON.stringify(await memories.export(req.userId, deps.now())) }),
    eraseUser: async (req) => {
      const { alreadyErased } = await memories.erase(req.userId, req.requestedBy);
      return { alreadyErased };
    },
  };
}
