import { DiscardPolicy, nanos, RetentionPolicy, StorageType } from 'nats';
import type { JetStreamManager, NatsError, StreamConfig, StreamInfo } from 'nats';
import { contextSubjects, DEAD_LETTER_STREAM, DEAD_LETTER_SUBJECT_PREFIX, streamNameFor } from './naming';

// JetStream API error codes (nats-server errors.json).
const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;

export interface EnsureStreamsOptions {
  /** Bounded contexts, e.g. ['identity', 'session']: one stream each, named upper-case. */
  readonly contexts: readonly string[];
  /** 1 locally, 3 in production. Default 1. */
  readonly replicas?: number;
  /** How long a re-published event id is recognised as duplicate. Default 2 minutes. */
  readonly duplicateWindowMs?: number;
}

export const DEFAULT_DUPLICATE_WINDOW_MS = 2 * 60_000;

export function apiErrorCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null || !('api_error' in err)) return undefined;
  return (err as NatsError).api_error?.err_code;
}

type DesiredStream = Partial<StreamConfig> & { name: string };

function eventStreamConfig(context: string, replicas: number, duplicateWindowMs: number): DesiredStream {
  return {
    name: streamNameFor(context),
    description: `Haven event store: ${context} events, one subject per aggregate`,
    subjects: [contextSubjects(context)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // No limits are set; should one ever be, refuse new events rather than drop history.
    discard: DiscardPolicy.New,
    num_replicas: replicas,
    duplicate_window: nanos(duplicateWindowMs),
    // Direct get (last message of an aggregate's subject) for appends with no expectation.
    allow_direct: true,
    // Events are facts: erasure is crypto-shredding, never deleting messages.
    deny_delete: true,
    allow_rollup_hdrs: false,
  };
}

function deadLetterStreamConfig(replicas: number, duplicateWindowMs: number): DesiredStream {
  return {
    name: DEAD_LETTER_STREAM,
    description: 'Haven dead letters: dlq.<projection>.<original subject>',
    subjects: [`${DEAD_LETTER_SUBJECT_PREFIX}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.New,
    num_replicas: replicas,
    duplicate_window: nanos(duplicateWindowMs),
    allow_direct: true,
  };
}

function sameStringSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
}

function needsUpdate(current: StreamConfig, desired: Partial<StreamConfig>): boolean {
  return (
    !sameStringSet(current.subjects ?? [], desired.subjects ?? []) ||
    current.num_replicas !== desired.num_replicas ||
    current.duplicate_window !== desired.duplicate_window ||
    current.allow_direct !== desired.allow_direct ||
    (desired.deny_delete !== undefined && current.deny_delete !== desired.deny_delete) ||
    current.discard !== desired.discard ||
    current.description !== desired.description
  );
}

async function createOrUpdate(jsm: JetStreamManager, desired: DesiredStream): Promise<StreamInfo> {
  let current: StreamInfo | undefined;
  try {
    current = await jsm.streams.info(desired.name);
  } catch (err) {
    if (apiErrorCode(err) !== STREAM_NOT_FOUND) throw err;
  }
  if (current === undefined) {
    try {
      return await jsm.streams.add(desired);
    } catch (err) {
      // Another replica created it between our info and add: fall through to update.
      if (apiErrorCode(err) !== STREAM_NAME_IN_USE) throw err;
      current = await jsm.streams.info(desired.name);
    }
  }
  if (current.config.storage !== desired.storage) {
    throw new Error(
      `stream ${desired.name} uses ${current.config.storage} storage, the event store needs ${String(desired.storage)}; ` +
        'storage cannot be changed in place (migrate the stream)',
    );
  }
  if (!needsUpdate(current.config, desired)) return current;
  return jsm.streams.update(desired.name, { ...current.config, ...desired });
}

/**
 * Creates or updates the event streams of the given contexts and the DEADLETTER stream.
 * Idempotent: safe to call from every replica at every start.
 */
export async function ensureStreams(jsm: JetStreamManager, options: EnsureStreamsOptions): Promise<StreamInfo[]> {
  const replicas = options.replicas ?? 1;
  const duplicateWindowMs = options.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new RangeError(`ensureStreams: replicas must be 1..5, got ${replicas}`);
  }
  if (!Number.isFinite(duplicateWindowMs) || duplicateWindowMs < 1000) {
    throw new RangeError(`ensureStreams: duplicateWindowMs must be at least 1000, got ${duplicateWindowMs}`);
  }
  const configs = [...new Set(options.contexts)].map((ctx) => eventStreamConfig(ctx, replicas, duplicateWindowMs));
  configs.push(deadLetterStreamConfig(replicas, duplicateWindowMs));
  const infos: StreamInfo[] = [];
  for (const cfg of configs) {
    infos.push(await createOrUpdate(jsm, cfg));
  }
  return infos;
}
