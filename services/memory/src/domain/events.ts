/**
 * Memory events as the domain sees them (the protobuf mapping lives in infrastructure/codec.ts).
 * Memory text is always ciphertext here: the domain never sees plaintext memories.
 */
export type MemoryEvent =
  | { type: 'DataKeyCreated'; data: { userId: string; keyId: string; masterKeyId: string } }
  | { type: 'MemoryProposed'; data: { memoryId: string; userId: string; personaId: string; sessionId: string; text: string; generalised: boolean } }
  | { type: 'MemoryDecided'; data: { memoryId: string; userId: string; approved: boolean } }
  | { type: 'MemoryEdited'; data: { memoryId: string; userId: string; text: string; generalised: boolean } }
  | { type: 'MemoryDeleted'; data: { memoryId: string; userId: string } }
  | { type: 'UserErased'; data: { userId: string; requestedBy: string } };

export type MemoryStatus = 'proposed' | 'approved' | 'rejected';

/** Aggregate id of a user's key ring (data key + erasure): `user-<userId>`. */
export const userAggregateId = (userId: string) => `user-${userId}`;
