/** Identity events as the domain sees them (the protobuf mapping lives in infrastructure/codec.ts). */
export type Role = 'client' | 'therapist' | 'oncall' | 'admin';
export const ROLES: readonly Role[] = ['client', 'therapist', 'oncall', 'admin'];

export type IdentityEvent =
  | { type: 'EmailReserved'; data: { userId: string } }
  | {
      type: 'UserRegistered';
      /** email and displayName are sealed with the user's data key `piiKeyId` ('' = stored as they are). */
      data: { userId: string; email: string; passwordHash: string; role: Role; displayName: string; locale: string; createdBy: string; piiKeyId: string; emailHash: string };
    }
  | { type: 'LoginSucceeded'; data: { userId: string; ip: string; userAgent: string } }
  | { type: 'LoginFailed'; data: { userId: string; ip: string; reason: LoginFailureReason; emailHash: string } }
  | { type: 'LoggedOut'; data: { userId: string } }
  | { type: 'TokenRefreshed'; data: { userId: string; tokenFamily: string } }
  | { type: 'RefreshTokenReused'; data: { userId: string; tokenFamily: string; ip: string } }
  | { type: 'AccessDenied'; data: { userId: string; route: string; reason: string; ip: string } }
  | { type: 'AccountErased'; data: { userId: string } }
  | { type: 'DataExported'; data: { userId: string; ip: string } };

export type LoginFailureReason = 'unknown_email' | 'wrong_password';
