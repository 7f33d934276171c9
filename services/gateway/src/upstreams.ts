import { createGrpcClient, type GrpcClient, type PlatformMetrics } from '@haven/platform';
import { auditV1, billingV1, conversationV1, memoryV1, safetyV1, sessionV1 } from '@haven/proto';

/** gRPC clients of the services the gateway calls; deadlines default to 5 s per call. */
export interface Upstreams {
  session: GrpcClient<sessionV1.SessionServiceClient>;
  conversation: GrpcClient<conversationV1.ConversationServiceClient>;
  safety: GrpcClient<safetyV1.SafetyServiceClient>;
  billing: GrpcClient<billingV1.BillingServiceClient>;
  memory: GrpcClient<memoryV1.MemoryServiceClient>;
  audit: GrpcClient<auditV1.AuditServiceClient>;
  close(): void;
}

export function createUpstreams(addrs: { session: string; conversation: string; safety: string; billing: string; memory: string; audit: string }, metrics: PlatformMetrics): Upstreams {
  const session = createGrpcClient(sessionV1.SessionServiceClient, 'session', addrs.session, { metrics });
  const conversation = createGrpcClient(conversationV1.ConversationServiceClient, 'conversation', addrs.conversation, { metrics, defaultDeadlineMs: 60_000 });
  const safety = createGrpcClient(safetyV1.SafetyServiceClient, 'safety', addrs.safety, { metrics });
  const billing = createGrpcClient(billingV1.BillingServiceClient, 'billing', addrs.billing, { metrics });
  const memory = createGrpcClient(memoryV1.MemoryServiceClient, 'memory', addrs.memory, { metrics });
  const audit = createGrpcClient(auditV1.AuditServiceClient, 'audit', addrs.audit, { metrics });
  return {
    session,
    conversation,
    safety,
    billing,
    memory,
    audit,
    close: () => [session, conversation, safety, billing, memory, audit].forEach((c) => c.close()),
  };
}
