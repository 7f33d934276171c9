import { aggregateSubject, handleCommand, streamNameFor, type EventStorePort } from '@haven/eventstore';
import type { Logger } from '@haven/platform';
import { eventsV1 } from '@haven/proto';
import type { JetStreamManager, NatsConnection, Subscription } from 'nats';
import type { PlanConfigSource } from '../application/ports';
import { PLAN_CONFIG_AGGREGATE_ID, planConfigDecider, type PlanConfigCommand, type PlanConfigEvent } from '../domain/planConfig';
import { DEFAULT_PLANS, type PlanTable } from '../domain/plans';
import { billingCodec } from './codec';

const NO_MESSAGE = 10037;

/**
 * The plan table every instance serves from memory. Each PlanConfigUpdated carries the whole
 * table, so the subject's last message is the state. An instance hears appends on core NATS
 * (JetStream stores what is published on the subject; plain subscribers see it too) and also
 * re-reads periodically, so a change applies everywhere within a second, without a restart.
 */
export class PlanConfigCache implements PlanConfigSource {
  private state: { plans: PlanTable; version: number } = { plans: DEFAULT_PLANS, version: 0 };
  private sub: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly store: EventStorePort<PlanConfigEvent>,
    private readonly logger: Logger,
    private readonly aggregateId = PLAN_CONFIG_AGGREGATE_ID,
  ) {}

  current(): { plans: PlanTable; version: number } {
    return this.state;
  }

  private accept(envelopeBytes: Uint8Array): void {
    const env = eventsV1.EventEnvelope.decode(envelopeBytes);
    if (env.version <= this.state.version) return;
    const event = billingCodec.decode(env.payload, { type: env.type, payloadType: env.payloadType, schemaVersion: env.schemaVersion });
    if (event.type !== 'PlanConfigUpdated') return;
    this.state = { plans: event.data.plans, version: env.version };
    this.logger.info({ version: env.version }, 'plan config applied');
  }

  async refresh(): Promise<void> {
    try {
      const m = await this.jsm.streams.getMessage(streamNameFor('billing'), { last_by_subj: aggregateSubject('billing', this.aggregateId) });
      this.accept(m.data);
    } catch (err) {
      if ((err as { api_error?: { err_code?: number } }).api_error?.err_code !== NO_MESSAGE) throw err;
    }
  }

  async start(refreshMs = 5_000): Promise<void> {
    await this.refresh();
    this.sub = this.nc.subscribe(aggregateSubject('billing', this.aggregateId), {
      callback: (err, msg) => {
        if (err) return;
        try {
          this.accept(msg.data);
        } catch (e) {
          this.logger.warn({ err: e }, 'plan config notification not applied; the periodic refresh will retry');
        }
      },
    });
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) => this.logger.warn({ err }, 'plan config refresh failed'));
    }, refreshMs);
    this.timer.unref();
  }

  stop(): void {
    this.sub?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
  }

  async update(command: PlanConfigCommand, now: Date): Promise<{ plans: PlanTable; version: number }> {
    const result = await handleCommand({
      store: this.store,
      aggregateId: this.aggregateId,
      decider: planConfigDecider,
      command,
      meta: { actor: command.data.updatedBy || 'admin', now },
    });
    const version = result.position.version;
    if (version > this.state.version) this.state = { plans: result.newState.plans, version };
    return { plans: result.newState.plans, version };
  }
}
