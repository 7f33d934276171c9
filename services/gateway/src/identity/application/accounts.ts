import { createHash } from 'node:crypto';
import { handleCommand, type EventStorePort } from '@haven/eventstore';
import { errors, type SealedContent } from '@haven/platform';
import { emailClaimDecider } from '../domain/email-claim';
import type { IdentityEvent, Role } from '../domain/events';
import { userDecider, type UserState } from '../domain/user';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
  dummyVerify(password: string): Promise<void>;
}

export interface TokenIssuer {
  issueAccess(userId: string, role: Role, now: Date, locale: string): string;
  issueRefresh(userId: string): Promise<string>;
  rotateRefresh(token: string): Promise<{ status: 'rotated'; userId: string; family: string; token: string } | { status: 'reused'; userId: string; family: string } | { status: 'invalid' }>;
  revokeUser(userId: string, now: Date): Promise<void>;
}

/** Seals account PII with the user's data key (memory.GetDataKey via DataKeyCipher): crypto-shredding. */
export interface PiiCipher {
  encrypt(userId: string, plaintext: string): Promise<SealedContent>;
  decrypt(userId: string, sealed: SealedContent): Promise<string>;
  /** Drops a cached key once the user is erased. */
  forget?(userId: string): void;
}

export interface AccountsDeps {
  store: EventStorePort<IdentityEvent>;
  pii: PiiCipher;
  passwords: PasswordHasher;
  tokens: TokenIssuer;
  newId: () => string;
  now: () => Date;
}

export interface RequestInfo {
  ip: string;
  userAgent: string;
  correlationId?: string;
}

export interface UserView {
  id: string;
  email: string;
  role: Role;
  displayName: string;
  locale: string;
}

export interface AuthResult {
  user: UserView;
  accessToken: string;
  refreshToken: string;
}

export interface RegisterInput {
  email: string;
  password: string;
  displayName?: string;
  locale?: string;
  role?: Role;
  createdBy?: string;
}

export const normaliseEmail = (email: string) => email.trim().toLowerCase();
export const emailHash = (email: string) => createHash('sha256').update(normaliseEmail(email)).digest('hex');
const claimId = (email: string) => `email-${emailHash(email)}`;


/** Account use cases: load → decide → append through the event store, tokens at the edge. */
export class Accounts {
  constructor(private readonly deps: AccountsDeps) {}

  /** The cipher of account PII, for read models that hold it sealed (admin user list). */
  get pii(): PiiCipher {
    return this.deps.pii;
  }

  private async view(state: UserState): Promise<UserView> {
    if (state.status !== 'registered') throw errors.notFound('USER_NOT_FOUND', 'unknown user');
    const open = (ciphertext: string) => this.deps.pii.decrypt(state.userId, { ciphertext, keyId: state.piiKeyId });
    return { id: state.userId, email: await open(state.email), role: state.role, displayName: await open(state.displayName), locale: state.locale };
  }

  private meta(actor: string, info?: RequestInfo) {
    return { actor, now: this.deps.now(), correlationId: info?.correlationId };
  }

  private async loadUser(userId: string): Promise<UserState> {
    const { events } = await this.deps.store.load(userId);
    return events.reduce((s, e) => userDecider.evolve(s, e.event), userDecider.initialState());
  }

  private async claimOf(email: string): Promise<string | undefined> {
    const { events } = await this.deps.store.load(claimId(email));
    return events.reduce((s, e) => emailClaimDecider.evolve(s, e.event), emailClaimDecider.initialState()).claimedBy;
  }

  /** Registration by the person themself: the account plus a first token pair. */
  async register(input: RegisterInput, info: RequestInfo): Promise<AuthResult> {
    return this.issue(await this.createAccount(input, info));
  }

  /** Creates an account without signing anyone in (also used by admins for staff). */
  async createAccount(input: RegisterInput, info: RequestInfo): Promise<UserView> {
    const email = normaliseEmail(input.email);
    const role: Role = input.role ?? 'client';
    // A claim whose user was never written (a crash between the two appends) is resumed with
    // its user id rather than locking the address forever.
    const existing = await this.claimOf(email);
    if (existing && (await this.loadUser(existing)).status === 'registered') {
      throw errors.conflict('EMAIL_TAKEN', 'an account with this e-mail address already exists');
    }
    const userId = existing ?? this.deps.newId();
    const passwordHash = await this.deps.passwords.hash(input.password);
    await handleCommand({ store: this.deps.store, aggregateId: claimId(email), decider: emailClaimDecider, command: { type: 'ClaimEmail', data: { userId } }, meta: this.meta(userId, info) });
    // The address and name enter the event store only sealed with the user's own data key.
    const sealedEmail = await this.deps.pii.encrypt(userId, email);
    const sealedName = await this.deps.pii.encrypt(userId, input.displayName?.trim() || email.split('@')[0]!);
    const { newState } = await handleCommand({
      store: this.deps.store,
      aggregateId: userId,
      decider: userDecider,
      command: {
        type: 'RegisterUser',
        data: {
          userId,
          email: sealedEmail.ciphertext,
          passwordHash,
          role,
          displayName: sealedName.ciphertext,
          locale: input.locale ?? 'en-GB',
          createdBy: input.createdBy ?? '',
          piiKeyId: sealedEmail.keyId,
          emailHash: emailHash(email),
        },
      },
      meta: this.meta(input.createdBy || userId, info),
    });
    return this.view(newState);
  }

  async login(emailInput: string, password: string, info: RequestInfo): Promise<AuthResult> {
    const email = normaliseEmail(emailInput);
    const userId = await this.claimOf(email);
    const state = userId ? await this.loadUser(userId) : userDecider.initialState();
    const record = (outcome: 'succeeded' | { failed: 'unknown_email' | 'wrong_password' }, aggregateId: string, uid: string) =>
      handleCommand({
        store: this.deps.store,
        aggregateId,
        decider: userDecider,
        command: { type: 'RecordLogin', data: { userId: uid, ip: info.ip, userAgent: info.userAgent.slice(0, 200), outcome, emailHash: emailHash(email) } },
        meta: this.meta(uid || 'anonymous', info),
      });
    if (state.status !== 'registered') {
      await this.deps.passwords.dummyVerify(password);
      // Failures for unknown addresses are kept on the address's own stream, for burst detection.
      await record({ failed: 'unknown_email' }, claimId(email), '');
      throw errors.unauthenticated('INVALID_CREDENTIALS', 'e-mail or password is wrong');
    }
    if (!(await this.deps.passwords.verify(password, state.passwordHash))) {
      await record({ failed: 'wrong_password' }, state.userId, state.userId);
      throw errors.unauthenticated('INVALID_CREDENTIALS', 'e-mail or password is wrong');
    }
    await record('succeeded', state.userId, state.userId);
    return this.issue(await this.view(state));
  }

  async refresh(refreshToken: string, info: RequestInfo): Promise<AuthResult> {
    const rotated = await this.deps.tokens.rotateRefresh(refreshToken);
    if (rotated.status === 'invalid') throw errors.unauthenticated('INVALID_REFRESH_TOKEN', 'refresh token is invalid or expired; log in again');
    if (rotated.status === 'reused') {
      await handleCommand({
        store: this.deps.store,
        aggregateId: rotated.userId,
        decider: userDecider,
        command: { type: 'RecordRefreshTokenReuse', data: { userId: rotated.userId, tokenFamily: rotated.family, ip: info.ip } },
        meta: this.meta(rotated.userId, info),
      });
      throw errors.unauthenticated('REFRESH_TOKEN_REUSED', 'this refresh token was already used; every session of this login has been signed out');
    }
    const { newState } = await handleCommand({
      store: this.deps.store,
      aggregateId: rotated.userId,
      decider: userDecider,
      command: { type: 'RecordTokenRefresh', data: { userId: rotated.userId, tokenFamily: rotated.family } },
      meta: this.meta(rotated.userId, info),
    });
    const user = await this.view(newState);
    return { user, accessToken: this.deps.tokens.issueAccess(user.id, user.role, this.deps.now(), user.locale), refreshToken: rotated.token };
  }

  async logout(userId: string, info: RequestInfo): Promise<void> {
    await this.deps.tokens.revokeUser(userId, this.deps.now());
    await handleCommand({ store: this.deps.store, aggregateId: userId, decider: userDecider, command: { type: 'LogOut', data: { userId } }, meta: this.meta(userId, info) });
  }

  async getUser(userId: string): Promise<UserView> {
    return this.view(await this.loadUser(userId));
  }

  /**
   * GDPR erasure of the account: afterwards it cannot sign in (401) and is not found (404).
   * Idempotent. Token revocation is the caller's job (privacy/erasure.ts), as it is for logout.
   */
  async eraseAccount(userId: string, info?: RequestInfo): Promise<{ alreadyErased: boolean }> {
    const { events } = await handleCommand({ store: this.deps.store, aggregateId: userId, decider: userDecider, command: { type: 'EraseAccount', data: { userId } }, meta: this.meta(userId, info) });
    this.deps.pii.forget?.(userId);
    return { alreadyErased: events.length === 0 };
  }

  /** Records a data export (GET /me/export) on the user's stream, for the audit trail. */
  async recordDataExport(userId: string, info: RequestInfo): Promise<void> {
    await handleCommand({ store: this.deps.store, aggregateId: userId, decider: userDecider, command: { type: 'RecordDataExport', data: { userId, ip: info.ip } }, meta: this.meta(userId, info) });
  }

  private async issue(user: UserView): Promise<AuthResult> {
    return {
      user,
      accessToken: this.deps.tokens.issueAccess(user.id, user.role, this.deps.now(), user.locale),
      refreshToken: await this.deps.tokens.issueRefresh(user.id),
    };
  }
}
