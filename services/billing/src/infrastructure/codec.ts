import { oneofCodec, type EventCodec, type EventStorePort } from '@haven/eventstore';
import { billingV1 } from '@haven/proto';
import type { AccountEvent } from '../domain/account';
import type { PlanConfigEvent } from '../domain/planConfig';
import { validatePlanTable } from '../domain/plans';
import { planFromProto, planLimitsFromProto, planTableToProto, planToProto } from '../grpc/mapping';

/** Everything on the BILLING stream: account ledgers and the plan table. */
export type BillingEvent = AccountEvent | PlanConfigEvent;

const base = oneofCodec('billing', billingV1.BillingEvent);
type Wire = Parameters<typeof base.encode>[0];

function toWire(e: BillingEvent): Wire {
  switch (e.type) {
    case 'CreditsGranted':
    case 'CreditsDebited':
    case 'CreditsRefunded':
      return e;
    case 'PlanChanged':
      return { type: 'PlanChanged', data: { ...e.data, from: planToProto(e.data.from), to: planToProto(e.data.to) } };
    case 'PlanConfigUpdated':
      return { type: 'PlanConfigUpdated', data: { plans: planTableToProto(e.data.plans), updatedBy: e.data.updatedBy } };
    default: {
      const never: never = e;
      return never;
    }
  }
}

function fromWire(w: Wire): BillingEvent {
  switch (w.type) {
    case 'CreditsGranted':
    case 'CreditsDebited':
    case 'CreditsRefunded':
      return w;
    case 'PlanChanged': {
      const from = planFromProto(w.data.from) ?? 'free';
      const to = planFromProto(w.data.to);
      if (to === undefined) throw new Error(`billing.PlanChanged with unknown plan ${w.data.to}`);
      return { type: 'PlanChanged', data: { userId: w.data.userId, from, to, changedBy: w.data.changedBy, trialEndsAt: w.data.trialEndsAt } };
    }
    case 'PlanConfigUpdated':
      return { type: 'PlanConfigUpdated', data: { plans: validatePlanTable(w.data.plans.map((p) => planLimitsFromProto(p))), updatedBy: w.data.updatedBy } };
    default: {
      const never: never = w;
      return never;
    }
  }
}

/** billing.* events: protobuf on the wire, domain types inside (plan names, not enum numbers). */
export const billingCodec: EventCodec<BillingEvent> = {
  context: base.context,
  payloadType: base.payloadType,
  schemaVersion: base.schemaVersion,
  typeOf: (e) => e.type,
  encode: (e) => base.encode(toWire(e)),
  decode: (payload, info) => fromWire(base.decode(payload, info)),
};

export const isAccountEvent = (e: BillingEvent): e is AccountEvent => e.type !== 'PlanConfigUpdated';
export const isPlanConfigEvent = (e: BillingEvent): e is PlanConfigEvent => e.type === 'PlanConfigUpdated';

/** One aggregate's view of the shared billing store: its own event type only. */
export function narrowStore<E extends BillingEvent>(store: EventStorePort<BillingEvent>, is: (e: BillingEvent) => e is E, kind: string): EventStorePort<E> {
  return {
    async load(aggregateId) {
      const loaded = await store.load(aggregateId);
      const events = loaded.events.map((s) => {
        if (!is(s.event)) throw new Error(`billing/${aggregateId}: ${s.event.type} is not a ${kind} event`);
        return { ...s, event: s.event };
      });
      return { events, position: loaded.position };
    },
    async append(aggregateId, expected, events, meta) {
      const appended = await store.append(aggregateId, expected, events, meta);
      return { ...appended, events: appended.events.map((s) => ({ ...s, event: s.event as E })) };
    },
  };
}
