import { applyVersioned, RetryLaterError, type StoredEvent } from '@haven/eventstore';
import type { Collection } from 'mongodb';
import type { AccountReadModel, AccountView } from '../application/ports';
import type { PlanName } from '../domain/plans';
import type { BillingEvent } from '../infrastructure/codec';

/** Balances read model (one document per account), rebuildable from the BILLING stream. */
export interface BalanceDoc {
  _id: string;
  userId: string;
  plan: PlanName;
  trialEndsAt?: Date;
  balance: number;
  granted: number;
  used: number;
  lastGrantPeriod?: string;
  updatedAt: Date;
  version: number;
}

export const BALANCES_COLLECTION = 'billing_balances';
const MONTHLY = /^monthly-(\d{4}-\d{2})$/;

function updateFor(e: StoredEvent<BillingEvent>): Record<string, unknown> | undefined {
  const ev = e.event;
  const touched = { userId: ev.type === 'PlanConfigUpdated' ? '' : ev.data.userId, updatedAt: e.occurredAt };
  switch (ev.type) {
    case 'CreditsGranted': {
      const period = MONTHLY.exec(ev.data.grantId)?.[1];
      return {
        $set: touched,
        $setOnInsert: { plan: 'free' },
        $inc: { balance: ev.data.amount, granted: ev.data.amount },
        ...(period === undefined ? {} : { $max: { lastGrantPeriod: period } }),
      };
    }
    case 'CreditsDebited':
      return { $set: touched, $setOnInsert: { plan: 'free' }, $inc: { balance: -ev.data.amount, used: ev.data.amount } };
    case 'CreditsRefunded':
      return { $set: touched, $setOnInsert: { plan: 'free' }, $inc: { balance: ev.data.amount, used: -ev.data.amount } };
    case 'PlanChanged':
      return ev.data.trialEndsAt === undefined
        ? { $set: { ...touched, plan: ev.data.to }, $unset: { trialEndsAt: '' } }
        : { $set: { ...touched, plan: ev.data.to, trialEndsAt: ev.data.trialEndsAt } };
    case 'PlanConfigUpdated':
      return undefined;
    default: {
      const never: never = ev;
      return never;
    }
  }
}

export function balancesProjection(balances: Collection<BalanceDoc>) {
  return async (e: StoredEvent<BillingEvent>): Promise<void> => {
    // Only account-<userId> aggregates are ledgers (the plan table lives on plan-config).
    if (!e.aggregateId.startsWith('account-')) return;
    const update = updateFor(e);
    if (update === undefined) return;
    const result = await applyVersioned(balances, e.aggregateId, e.version, update);
    if (result === 'gap') throw new RetryLaterError(`balances: ${e.aggregateId} v${e.version} arrived before its predecessor`);
  };
}

export class MongoAccountReadModel implements AccountReadModel {
  constructor(private readonly balances: Collection<BalanceDoc>) {}

  async get(userId: string): Promise<AccountView | undefined> {
    const doc = await this.balances.findOne({ _id: `account-${userId}` });
    if (doc === null) return undefined;
    return { userId, plan: doc.plan, trialEndsAt: doc.trialEndsAt ?? undefined, balance: doc.balance, used: doc.used ?? 0, lastGrantPeriod: doc.lastGrantPeriod ?? undefined };
  }

  countLowBalance(threshold: number): Promise<number> {
    return this.balances.countDocuments({ balance: { $lte: threshold } });
  }
}
