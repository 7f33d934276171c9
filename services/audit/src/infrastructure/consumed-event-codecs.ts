import { EventDecodeError, type EventCodec, type ProtoMessageFns } from '@haven/eventstore';
import { auditV1, billingV1, conversationV1, identityV1, memoryV1, safetyV1, sessionV1 } from '@haven/proto';
import type { ConsumedEvent } from '../domain/consumed-events';
import { LOGIN_FAILURE_CODES } from '../domain/consumed-events';

/** The contexts (and streams) the audit service consumes. */
export const AUDITED_CONTEXTS = ['identity', 'session', 'conversation', 'safety', 'billing', 'memory', 'audit'] as const;
export type AuditedContext = (typeof AUDITED_CONTEXTS)[number];

/** `RISK_LEVEL_HIGH_RISK` → `high_risk`. */
function enumName(json: string, prefix: string): string {
  return (json.startsWith(prefix) ? json.slice(prefix.length) : json).toLowerCase();
}

type Oneof<W> = W extends { event?: infer U } ? Exclude<U, undefined> : never;

/**
 * Decodes one context's payloads into ConsumedEvent, copying only whitelisted fields. Cases this
 * service does not audit field by field, and cases newer than this build (no known oneof case),
 * become `{ type: 'other' }` with the envelope's type: the audit log keeps up with schema growth
 * instead of dead-lettering. Bytes that are no valid payload still fail (and are dead-lettered).
 */
function consumedCodec<W extends { event?: { $case: string } | undefined }>(
  context: AuditedContext,
  messageFns: ProtoMessageFns<W>,
  map: (event: Oneof<W>) => ConsumedEvent | undefined,
): EventCodec<ConsumedEvent> {
  const payloadType = `haven.${context}.v1.${context.charAt(0).toUpperCase()}${context.slice(1)}Event`;
  return {
    context,
    payloadType,
    schemaVersion: 1,
    typeOf: (e) => (e.type === 'other' ? e.eventType : e.type).slice(context.length + 1),
    encode() {
      throw new Error('the audit consumer only decodes other contexts\' events');
    },
    decode(payload, info) {
      if (info.payloadType !== payloadType) throw new EventDecodeError(`${context}: payload type ${info.payloadType} is not ${payloadType}`);
      if (!info.type.startsWith(`${context}.`)) throw new EventDecodeError(`${context}: event type ${info.type} is not of this context`);
      let wrapper: W;
      try {
        wrapper = messageFns.decode(payload);
      } catch (cause) {
        throw new EventDecodeError(`${context}: payload of ${info.type} is not a valid ${payloadType}`, { cause });
      }
      const set = wrapper.event as Oneof<W> | undefined;
      return (set === undefined ? undefined : map(set)) ?? { type: 'other', eventType: info.type };
    },
  };
}

const identity = consumedCodec('identity', identityV1.IdentityEvent, (e): ConsumedEvent | undefined => {
  switch (e.$case) {
    case 'userRegistered': {
      const d = e.userRegistered;
      return { type: 'identity.UserRegistered', data: { userId: d.userId, role: enumName(identityV1.roleToJSON(d.role), 'ROLE_'), createdBy: d.createdBy } };
    }
    case 'loginSucceeded':
      return { type: 'identity.LoginSucceeded', data: { userId: e.loginSucceeded.userId, ip: e.loginSucceeded.ip } };
    case 'loginFailed': {
      const d = e.loginFailed;
      return { type: 'identity.LoginFailed', data: { userId: d.userId, ip: d.ip, emailHash: d.emailHash, reasonCode: LOGIN_FAILURE_CODES.has(d.reason) ? d.reason : '' } };
    }
    case 'loggedOut':
      return { type: 'identity.LoggedOut', data: { userId: e.loggedOut.userId } };
    case 'refreshTokenReused':
      return { type: 'identity.RefreshTokenReused', data: { userId: e.refreshTokenReused.userId, ip: e.refreshTokenReused.ip } };
    case 'accessDenied':
      return { type: 'identity.AccessDenied', data: { userId: e.accessDenied.userId, route: e.accessDenied.route, ip: e.accessDenied.ip } };
    case 'accountErased':
      return { type: 'identity.AccountErased', data: { userId: e.accountErased.userId } };
    default:
      return undefined;
  }
});

const session = consumedCodec('session', sessionV1.SessionEvent, (e): ConsumedEvent | undefined => {
  switch (e.$case) {
    case 'sessionStarted': {
      const d = e.sessionStarted;
      return { type: 'session.SessionStarted', data: { sessionId: d.sessionId, userId: d.userId, personaId: d.personaId, incognito: d.incognito } };
    }
    case 'sessionEnded':
      return { type: 'session.SessionEnded', data: { sessionId: e.sessionEnded.sessionId, rated: e.sessionEnded.rating > 0 } };
    default:
      return undefined;
  }
});

const conversation = consumedCodec('conversation', conversationV1.ConversationEvent, (e): ConsumedEvent | undefined => {
  switch (e.$case) {
    case 'messagePosted': {
      // Never the content: only who, where and which message.
      const d = e.messagePosted;
      return { type: 'conversation.MessagePosted', data: { sessionId: d.sessionId, userId: d.userId, messageId: d.messageId } };
    }
    default:
      return undefined;
  }
});

const safety = consumedCodec('safety', safetyV1.SafetyEvent, (e): ConsumedEvent | undefined => {
  switch (e.$case) {
    case 'crisisAlertRaised': {
      const d = e.crisisAlertRaised;
      return { type: 'safety.CrisisAlertRaised', data: { alertId: d.alertId, sessionId: d.sessionId, userId: d.userId, riskLevel: enumName(safetyV1.riskLevelToJSON(d.severity), 'RISK_LEVEL_') } };
    }
    case 'crisisAlertAcknowledged':
      return { type: 'safety.CrisisAlertAcknowledged', data: { alertId: e.crisisAlertAcknowledged.alertId, staffId: e.crisisAlertAcknowledged.staffId } };
    case 'crisisAlertResolved':
      // The resolution note is free text: not copied.
      return { type: 'safety.CrisisAlertResolved', data: { alertId: e.crisisAlertResolved.alertId, staffId: e.crisisAlertResolved.staffId } };
    default:
      return undefined;
  }
});

const billing = consumedCodec('billing', billingV1.BillingEvent, (e): ConsumedEvent | undefined => {
  switch (e.$case) {
    case 'creditsGranted': {
      const d = e.creditsGranted;
      return { type: 'billing.CreditsGranted', data: { userId: d.userId, amount: d.amount, grantId: d.grantId, grantedBy: d.grantedBy } };
    }
    case 'planChanged': {
      const d = e.planChanged;
      return { type: 'billing.PlanChanged', data: { userId: d.userId, from: enumName(billingV1.planToJSON(d.from), 'PLAN_'), to: enumName(billingV1.planToJSON(d.to), 'PLAN_'), changedBy: d.changedBy } };
    }
    default:
      return undefined;
  }
});

const memory = consumedCodec('memory', memoryV1.MemoryEvent, (e): ConsumedEvent | undefined => {
  switch (e.$case) {
    case 'userErased':
      return { type: 'memory.UserErased', data: { userId: e.userErased.userId, requestedBy: e.userErased.requestedBy } };
    default:
      return undefined;
  }
});

const audit = consumedCodec('audit', auditV1.AuditEvent, (e): ConsumedEvent | undefined => {
  switch (e.$case) {
    case 'suspiciousActivityFlagged': {
      const d = e.suspiciousActivityFlagged;
      return {
        type: 'audit.SuspiciousActivityFlagged',
        data: { flagId: d.flagId, kind: d.kind, subject: d.subject, severity: d.severity, count: d.count, windowSeconds: d.windowSeconds, triggerEventId: d.triggerEventId },
      };
    }
    default:
      return undefined;
  }
});

export const CONSUMED_EVENT_CODECS: Readonly<Record<AuditedContext, EventCodec<ConsumedEvent>>> = { identity, session, conversation, safety, billing, memory, audit };
