// Generated protobuf types and grpc-js service definitions, one namespace per package:
// eventsV1, identityV1, sessionV1, conversationV1, safetyV1, billingV1, memoryV1, auditV1.
export * from './gen/index';
