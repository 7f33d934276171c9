import { Counter, Gauge, type Registry } from 'prom-client';

/** Billing's domain metrics (names fixed in the shared contracts). */
export interface BillingMetrics {
  creditsDebited: Counter;
  creditsGranted: Counter<'reason'>;
  refusals: Counter<'code'>;
}

export function createBillingMetrics(registry: Registry, lowBalanceAccounts: () => Promise<number>): BillingMetrics {
  new Gauge({
    name: 'haven_billing_low_balance_accounts',
    help: 'accounts whose credit balance is at or below the low-credits threshold',
    registers: [registry],
    async collect() {
      this.set(await lowBalanceAccounts());
    },
  });
  return {
    creditsDebited: new Counter({ name: 'haven_credits_debited_total', help: 'credits debited for started session minutes', registers: [registry] }),
    creditsGranted: new Counter({ name: 'haven_credits_granted_total', help: 'credits granted, by reason (signup, monthly, admin, ...)', labelNames: ['reason'], registers: [registry] }),
    refusals: new Counter({ name: 'haven_billing_refusals_total', help: 'messages and session starts refused, by refusal code', labelNames: ['code'], registers: [registry] }),
  };
}
