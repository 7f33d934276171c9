import { Type, type Static } from '@sinclair/typebox';

/** JSON Schemas for the public API: validated by fastify (Ajv) and published in the OpenAPI document. */
export const ErrorResponse = Type.Object(
  { error: Type.Object({ code: Type.String(), message: Type.String() }) },
  { $id: 'Error', description: 'Every error: a stable SNAKE_CASE code and a message a person can act on' },
);

export const User = Type.Object(
  {
    id: Type.String(),
    email: Type.String(),
    role: Type.Union([Type.Literal('client'), Type.Literal('therapist'), Type.Literal('oncall'), Type.Literal('admin')]),
    displayName: Type.String(),
    locale: Type.String(),
  },
  { $id: 'User' },
);

export const AuthResponse = Type.Object({ user: Type.Ref(User), accessToken: Type.String(), refreshToken: Type.String() }, { $id: 'AuthResponse' });

export const RegisterBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: Type.String({ minLength: 10, maxLength: 256, description: 'at least 10 characters' }),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
    locale: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}(-[A-Z]{2})?$', description: 'BCP 47 language tag such as en-GB' })),
  },
  { additionalProperties: false },
);
export type RegisterBody = Static<typeof RegisterBody>;

export const LoginBody = Type.Object(
  { email: Type.String({ minLength: 3, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 256 }) },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

export const RefreshBody = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });
export type RefreshBody = Static<typeof RefreshBody>;

export const StaffBody = Type.Object(
  {
    email: Type.String({ format: 'email', maxLength: 254 }),
    password: Type.String({ minLength: 10, maxLength: 256 }),
    role: Type.Union([Type.Literal('therapist'), Type.Literal('oncall'), Type.Literal('admin')]),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
    locale: Type.Optional(Type.String({ pattern: '^[a-z]{2,3}(-[A-Z]{2})?$' })),
  },
  { additionalProperties: false },
);
export type StaffBody = Static<typeof StaffBody>;

export const errorResponses = {
  400: Type.Ref(ErrorResponse),
  401: Type.Ref(ErrorResponse),
  429: Type.Ref(ErrorResponse),
};
