/**
 * Where an aggregate stands: `version` counts its events (1 for the first), `sequence` is the
 * JetStream stream sequence of its last event. `{ version: 0, sequence: 0 }` is a new aggregate.
 */
export interface StreamPosition {
  readonly version: number;
  readonly sequence: number;
}

export const NEW_AGGREGATE: StreamPosition = Object.freeze({ version: 0, sequence: 0 });
