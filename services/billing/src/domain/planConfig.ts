import type { Decider } from '@haven/eventstore';
import { DEFAULT_PLANS, validatePlanTable, type PlanLimits, type PlanTable } from './plans';

/** The plan table admins edit at run time; one aggregate on billing.evt.plan-config. */
export const PLAN_CONFIG_AGGREGATE_ID = 'plan-config';

export type PlanConfigEvent = { type: 'PlanConfigUpdated'; data: { plans: PlanTable; updatedBy: string } };
export type PlanConfigCommand = { type: 'UpdatePlanConfig'; data: { plans: readonly PlanLimits[]; updatedBy: string } };
export interface PlanConfigState {
  readonly plans: PlanTable;
}

export const initialPlanConfigState = (): PlanConfigState => ({ plans: DEFAULT_PLANS });

export function evolvePlanConfig(_state: PlanConfigState, event: PlanConfigEvent): PlanConfigState {
  // Each event carries the whole table, so the newest one is the state.
  return { plans: event.data.plans };
}

export function decidePlanConfig(command: PlanConfigCommand, state: PlanConfigState): PlanConfigEvent[] {
  const plans = validatePlanTable(command.data.plans);
  if (JSON.stringify(plans) === JSON.stringify(state.plans)) return [];
  return [{ type: 'PlanConfigUpdated', data: { plans, updatedBy: command.data.updatedBy } }];
}

export const planConfigDecider: Decider<PlanConfigCommand, PlanConfigEvent, PlanConfigState> = {
  initialState: initialPlanConfigState,
  evolve: evolvePlanConfig,
  decide: decidePlanConfig,
};
