import { oneofCodec, type EventCodec } from '@haven/eventstore';
import { identityV1 } from '@haven/proto';
import type { IdentityEvent, LoginFailureReason, Role } from '../domain/events';

const ROLE_TO_PROTO: Record<Role, identityV1.Role> = {
  client: identityV1.Role.ROLE_CLIENT,
  therapist: identityV1.Role.ROLE_THERAPIST,
  oncall: identityV1.Role.ROLE_ONCALL,
  admin: identityV1.Role.ROLE_ADMIN,
};
const PROTO_TO_ROLE = new Map<identityV1.Role, Role>(Object.entries(ROLE_TO_PROTO).map(([k, v]) => [v, k as Role]));

const base = oneofCodec('identity', identityV1.IdentityEvent);
type Wire = Parameters<typeof base.encode>[0];

/** identity.* events: protobuf on the wire, domain types inside (roles as names, not enum numbers). */
export const identityCodec: EventCodec<IdentityEvent> = {
  context: base.context,
  payloadType: base.payloadType,
  schemaVersion: base.schemaVersion,
  typeOf: (e) => e.type,
  encode(e) {
    const wire = e.type === 'UserRegistered' ? { type: e.type, data: { ...e.data, role: ROLE_TO_PROTO[e.data.role] } } : e;
    return base.encode(wire as Wire);
  },
  decode(payload, info) {
    const wire = base.decode(payload, info);
    if (wire.type === 'UserRegistered') {
      const role = PROTO_TO_ROLE.get(wire.data.role);
      if (!role) throw new Error(`identity.UserRegistered with unknown role ${wire.data.role}`);
      return { type: 'UserRegistered', data: { ...wire.data, role } };
    }
    if (wire.type === 'LoginFailed') {
      return { type: 'LoginFailed', data: { ...wire.data, reason: wire.data.reason as LoginFailureReason } };
    }
    return wire as IdentityEvent;
  },
};
