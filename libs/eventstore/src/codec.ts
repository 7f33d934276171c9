import { EventDecodeError } from './errors';
import { assertValidContext } from './naming';

/** A domain event: a past-tense name and its data. */
export interface DomainEvent<TType extends string = string, TData = unknown> {
  readonly type: TType;
  readonly data: TData;
}

/** What the codec learns from the envelope when decoding (for checks and upcasting). */
export interface EnvelopeTypeInfo {
  /** Full envelope type, e.g. `identity.UserRegistered`. */
  readonly type: string;
  readonly payloadType: string;
  readonly schemaVersion: number;
}

/**
 * Maps one bounded context's domain events to envelope payload bytes and back. The envelope
 * type is `<context>.<typeOf(event)>`.
 */
export interface EventCodec<E> {
  readonly context: string;
  /** Fully qualified protobuf name of the payload message, e.g. `haven.identity.v1.IdentityEvent`. */
  readonly payloadType: string;
  readonly schemaVersion: number;
  /** Short event name, e.g. `UserRegistered`. */
  typeOf(event: E): string;
  encode(event: E): Uint8Array;
  /** Throws (an EventDecodeError preferably) when the bytes are no event of this context. */
  decode(payload: Uint8Array, info: EnvelopeTypeInfo): E;
}

/** The part of a ts-proto `MessageFns` the codec needs. */
export interface ProtoMessageFns<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

type OneofCases<W> = W extends { event: infer U } ? Exclude<U, undefined> : never;

/**
 * The domain events carried by a ts-proto oneof wrapper message such as
 * `identityV1.IdentityEvent`: `{ event: { $case: 'userRegistered', userRegistered: D } }`
 * becomes `{ type: 'UserRegistered', data: D }`.
 */
export type OneofDomainEvent<W> =
  OneofCases<W> extends infer C
    ? C extends { $case: infer K extends string }
      ? K extends keyof C
        ? { readonly type: Capitalize<K>; readonly data: C[K] }
        : never
      : never
    : never;

export interface OneofCodecOptions {
  /** Defaults to `haven.<context>.v1.<Context>Event`, the convention of protos/haven. */
  readonly payloadType?: string;
  readonly schemaVersion?: number;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function uncapitalize(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

/**
 * A codec for a context whose payload is a ts-proto oneof wrapper (`oneof event { ... }`).
 * Decoding a payload whose case this build does not know (a newer schema, another message)
 * fails with an EventDecodeError: a projection dead-letters it instead of guessing.
 */
export function oneofCodec<W extends { event: { $case: string } | undefined }>(
  context: string,
  messageFns: ProtoMessageFns<W>,
  options: OneofCodecOptions = {},
): EventCodec<OneofDomainEvent<W>> {
  assertValidContext(context);
  const payloadType = options.payloadType ?? `haven.${context}.v1.${capitalize(context)}Event`;
  const codec: EventCodec<DomainEvent> = {
    context,
    payloadType,
    schemaVersion: options.schemaVersion ?? 1,
    typeOf: (event) => event.type,
    encode(event) {
      const $case = uncapitalize(event.type);
      const wrapper = { event: { $case, [$case]: event.data } };
      // Unknown cases are caught below: ts-proto writes nothing for them.
      const bytes = messageFns.encode(wrapper as W).finish();
      if (bytes.length === 0) {
        throw new TypeError(`${context}: unknown event type ${JSON.stringify(event.type)} for ${payloadType}`);
      }
      return bytes;
    },
    decode(payload, info) {
      if (info.payloadType !== payloadType) {
        throw new EventDecodeError(`${context}: payload type ${info.payloadType} is not ${payloadType}`);
      }
      let wrapper: W;
      try {
        wrapper = messageFns.decode(payload);
      } catch (cause) {
        throw new EventDecodeError(`${context}: payload of ${info.type} is not a valid ${payloadType}`, { cause });
      }
      const set: { $case: string } | undefined = wrapper.event;
      if (set === undefined) {
        throw new EventDecodeError(
          `${context}: payload of ${info.type} has no known event case of ${payloadType} (newer schema or wrong message)`,
        );
      }
      const data: unknown = Object.getOwnPropertyDescriptor(set, set.$case)?.value;
      return { type: capitalize(set.$case), data };
    },
  };
  // OneofDomainEvent<W> corresponds case by case to the oneof union (`{type: 'X', data}` ⇄
  // `{$case: 'x', x: data}`); the compiler cannot follow the computed key, hence this assertion.
  return codec as unknown as EventCodec<OneofDomainEvent<W>>;
}

/**
 * A codec for domain events that differ from the generated protobuf types: maps them to the
 * events of `inner` (usually a oneofCodec) and back, so protobuf types stay at the edge.
 */
export function mapCodec<P, D>(inner: EventCodec<P>, toProto: (event: D) => P, fromProto: (event: P) => D): EventCodec<D> {
  return {
    context: inner.context,
    payloadType: inner.payloadType,
    schemaVersion: inner.schemaVersion,
    typeOf: (event) => inner.typeOf(toProto(event)),
    encode: (event) => inner.encode(toProto(event)),
    decode: (payload, info) => fromProto(inner.decode(payload, info)),
  };
}
