import { errors } from '@haven/platform';
import type { memoryV1 } from '@haven/proto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate, type AuthDeps } from '../http/auth';
import { ErrorResponse } from '../http/schemas';
import type { Upstreams } from '../upstreams';

const err = Type.Ref(ErrorResponse);
const MemoryParams = Type.Object({ id: Type.String() });
type MemoryParams = Static<typeof MemoryParams>;
const DecisionBody = Type.Object({ approve: Type.Boolean() }, { additionalProperties: false });
const EditBody = Type.Object({ text: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false });
const Memory = Type.Object({
  id: Type.String(),
  personaId: Type.String(),
  sessionId: Type.String(),
  text: Type.String(),
  status: Type.Union([Type.Literal('proposed'), Type.Literal('approved'), Type.Literal('rejected')]),
  generalised: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export interface MemoryRouteDeps {
  auth: AuthDeps;
  upstreams: Pick<Upstreams, 'memory'>;
}

function memoryToJson(m: memoryV1.Memory): Static<typeof Memory> {
  return {
    id: m.id,
    personaId: m.personaId,
    sessionId: m.sessionId,
    text: m.text,
    status: m.status as Static<typeof Memory>['status'],
    generalised: m.generalised,
    createdAt: (m.createdAt ?? new Date(0)).toISOString(),
    updatedAt: (m.updatedAt ?? m.createdAt ?? new Date(0)).toISOString(),
  };
}

/** An id that cannot exist is answered like one that is not yours: 404, no hint either way. */
function memoryId(req: FastifyRequest<{ Params: MemoryParams }>): string {
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(req.params.id)) throw errors.notFound('MEMORY_NOT_FOUND', 'no such memory');
  return req.params.id;
}

/** Consented memories (API.md "Memory"): the caller's own only; the memory service checks ownership. */
export function registerMemoryRoutes(app: FastifyInstance, deps: MemoryRouteDeps): void {
  const { memory } = deps.upstreams;
  const auth = authenticate(deps.auth);
  const tags = ['memories'];
  const security = [{ bearer: [] }];

  app.get(
    '/api/v1/memories',
    { preHandler: auth, schema: { tags, summary: 'Your memories (proposed, approved, rejected), newest first', security, response: { 200: Type.Object({ memories: Type.Array(Memory) }), 401: err } } },
    async (req) => {
      const res = await memory.unary((c) => c.listMemories, 'ListMemories', { userId: req.principal!.userId });
      return { memories: res.memories.map(memoryToJson) };
    },
  );

  app.post<{ Params: MemoryParams; Body: Static<typeof DecisionBody> }>(
    '/api/v1/memories/:id/decision',
    {
      preHandler: auth,
      schema: { tags, summary: 'Approve or reject a proposed memory (only approved memories carry over, to that persona only)', security, params: MemoryParams, body: DecisionBody, response: { 200: Type.Object({ memory: Memory }), 400: err, 401: err, 404: err } },
    },
    async (req) => {
      const res = await memory.unary((c) => c.decideMemory, 'DecideMemory', { userId: req.principal!.userId, memoryId: memoryId(req), approve: req.body.approve });
      if (!res.memory) throw errors.notFound('MEMORY_NOT_FOUND', 'no such memory');
      return { memory: memoryToJson(res.memory) };
    },
  );

  app.patch<{ Params: MemoryParams; Body: Static<typeof EditBody> }>(
    '/api/v1/memories/:id',
    {
      preHandler: auth,
      schema: { tags, summary: 'Rewrite a memory (filtered again: no names, places, dates or trauma details)', security, params: MemoryParams, body: EditBody, response: { 200: Type.Object({ memory: Memory }), 400: err, 401: err, 404: err, 422: err } },
    },
    async (req) => {
      const res = await memory.unary((c) => c.editMemory, 'EditMemory', { userId: req.principal!.userId, memoryId: memoryId(req), text: req.body.text });
      if (!res.memory) throw errors.notFound('MEMORY_NOT_FOUND', 'no such memory');
      return { memory: memoryToJson(res.memory) };
    },
  );

  app.delete<{ Params: MemoryParams }>(
    '/api/v1/memories/:id',
    { preHandler: auth, schema: { tags, summary: 'Delete a memory', security, params: MemoryParams, response: { 204: Type.Null(), 401: err, 404: err } } },
    async (req, reply) => {
      await memory.unary((c) => c.deleteMemory, 'DeleteMemory', { userId: req.principal!.userId, memoryId: memoryId(req) });
      return reply.status(204).send();
    },
  );
}
