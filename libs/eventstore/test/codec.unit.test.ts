import { identityV1 } from '@haven/proto';
import { describe, expect, it } from 'vitest';
import { EventDecodeError, mapCodec, oneofCodec } from '../src/index';
import type { OneofDomainEvent } from '../src/index';
import { decodeStoredEvent, encodeEnvelope } from '../src/storedEvent';

type IdentityEvent = OneofDomainEvent<identityV1.IdentityEvent>;
const codec = oneofCodec('identity', identityV1.IdentityEvent);

const registered: IdentityEvent = {
  type: 'UserRegistered',
  data: {
    userId: 'u-1',
    email: 'ada@example.test',
    passwordHash: 'scrypt$x',
    role: identityV1.Role.ROLE_CLIENT,
    displayName: 'Ada',
    locale: 'en',
    createdBy: '',
    piiKeyId: '',
    emailHash: '',
  },
};

const info = (type: string) => ({ type, payloadType: 'haven.identity.v1.IdentityEvent', schemaVersion: 1 });

describe('oneofCodec', () => {
  it('maps a domain event to the oneof wrapper and back', () => {
    const bytes = codec.encode(registered);
    const wrapper = identityV1.IdentityEvent.decode(bytes);
    expect(wrapper.event?.$case).toBe('userRegistered');
    expect(codec.decode(bytes, info('identity.UserRegistered'))).toEqual(registered);
  });

  it('round-trips an event whose data are all defaults', () => {
    const loggedOut: IdentityEvent = { type: 'LoggedOut', data: { userId: '' } };
    expect(codec.decode(codec.encode(loggedOut), info('identity.LoggedOut'))).toEqual(loggedOut);
  });

  it('names the payload type after the context by convention', () => {
    expect(codec.payloadType).toBe('haven.identity.v1.IdentityEvent');
    expect(codec.typeOf(registered)).toBe('UserRegistered');
  });

  it('rejects a payload with an unknown oneof case', () => {
    // Field 99 is no case of IdentityEvent: a newer schema or another message.
    const unknownCase = new Uint8Array([0x9a, 0x06, 0x02, 0x01, 0x02]); // field 99, length-delimited
    expect(() => codec.decode(unknownCase, info('identity.Future'))).toThrow(EventDecodeError);
    expect(() => codec.decode(unknownCase, info('identity.Future'))).toThrow(/no known event case/);
  });

  it('rejects another payload type', () => {
    const bytes = codec.encode(registered);
    expect(() => codec.decode(bytes, { ...info('identity.UserRegistered'), payloadType: 'haven.session.v1.SessionEvent' })).toThrow(
      EventDecodeError,
    );
  });

  it('refuses to encode a type the oneof does not have', () => {
    const bogus = JSON.parse('{"type":"Teleported","data":{}}') as IdentityEvent;
    expect(() => codec.encode(bogus)).toThrow(/unknown event type "Teleported"/);
  });
});

describe('envelope encoding', () => {
  const fields = {
    id: '0190f5c4-0000-7000-8000-000000000001',
    aggregateId: 'u-1',
    version: 3,
    occurredAt: new Date('2025-01-02T03:04:05.678Z'),
    actor: 'system',
    correlationId: 'corr-1',
    causationId: 'cause-1',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    tracestate: '',
  };

  it('round-trips a stored event through the protobuf envelope', () => {
    const data = encodeEnvelope(codec, registered, fields);
    const stored = decodeStoredEvent(codec, { subject: 'identity.evt.u-1', seq: 42, data });
    expect(stored).toEqual({
      id: fields.id,
      type: 'identity.UserRegistered',
      aggregateId: 'u-1',
      version: 3,
      sequence: 42,
      occurredAt: fields.occurredAt,
      actor: 'system',
      correlationId: 'corr-1',
      causationId: 'cause-1',
      traceparent: fields.traceparent,
      event: registered,
    });
  });

  it('rejects an envelope stored on another aggregate subject', () => {
    const data = encodeEnvelope(codec, registered, fields);
    expect(() => decodeStoredEvent(codec, { subject: 'identity.evt.u-2', seq: 1, data })).toThrow(EventDecodeError);
  });

  it('rejects bytes that are no envelope', () => {
    const data = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(() => decodeStoredEvent(codec, { subject: 'identity.evt.u-1', seq: 1, data })).toThrow(EventDecodeError);
  });
});

describe('mapCodec', () => {
  // A domain model that differs from the protobuf one (e.g. no password hash in memory).
  type Domain = { type: 'SignedOut'; data: { user: string } };
  const signedOut = mapCodec<IdentityEvent, Domain>(
    codec,
    (e) => ({ type: 'LoggedOut', data: { userId: e.data.user } }),
    (p) => {
      if (p.type !== 'LoggedOut') throw new EventDecodeError(`unexpected ${p.type}`);
      return { type: 'SignedOut', data: { user: p.data.userId } };
    },
  );

  it('maps domain events through the protobuf codec', () => {
    const bytes = signedOut.encode({ type: 'SignedOut', data: { user: 'u-9' } });
    expect(identityV1.IdentityEvent.decode(bytes).event).toEqual({ $case: 'loggedOut', loggedOut: { userId: 'u-9' } });
    expect(signedOut.typeOf({ type: 'SignedOut', data: { user: 'u-9' } })).toBe('LoggedOut');
    expect(signedOut.decode(bytes, info('identity.LoggedOut'))).toEqual({ type: 'SignedOut', data: { user: 'u-9' } });
  });
});
