import { z } from 'zod';

/**
 * One documented config schema per service (STYLE.md §7): every key names its environment
 * variable, type, default and purpose, is validated at boot, and comes out fully typed.
 */
export interface Setting<T> {
  env: string;
  schema: z.ZodType<T>;
  doc: string;
  /** Used when the variable is unset, in every environment. */
  default?: string;
  /** Used only outside production (HAVEN_ENV!=production): keeps local runs zero-config without default secrets in prod. */
  devDefault?: string;
  secret?: boolean;
}

export type ConfigSpec = Record<string, Setting<unknown>>;
export type ConfigOf<S extends ConfigSpec> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export class ConfigError extends Error {
  constructor(
    readonly service: string,
    readonly problems: string[],
  ) {
    super(`Invalid configuration for ${service}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

export const types = {
  string: () => z.string().min(1, 'must not be empty'),
  optionalString: () => z.string().optional().transform((v) => (v === '' ? undefined : v)),
  int: (min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(min).max(max),
  port: () => z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535),
  bool: () =>
    z
      .string()
      .toLowerCase()
      .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'must be true or false')
      .transform((v) => v === 'true' || v === '1' || v === 'yes'),
  url: (protocols?: string[]) =>
    z
      .string()
      .url('must be a URL')
      .refine((v) => !protocols || protocols.some((p) => v.startsWith(`${p}:`)), {
        message: `must start with ${protocols?.map((p) => `${p}://`).join(' or ')}`,
      }),
  enumOf: <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values),
  secret: (minLength = 32) => z.string().min(minLength, `must be at least ${minLength} characters`),
};

export function isProduction(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env.HAVEN_ENV ?? env.NODE_ENV) === 'production';
}

/** Parses the environment against the spec; collects every problem and fails with one clear message. */
export function loadConfig<S extends ConfigSpec>(service: string, spec: S, env: NodeJS.ProcessEnv = process.env): ConfigOf<S> {
  const prod = isProduction(env);
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, s] of Object.entries(spec)) {
    let raw = env[s.env];
    if (raw === undefined || raw === '') raw = s.default ?? (prod ? undefined : s.devDefault);
    if (raw === undefined && s.secret && prod && s.devDefault !== undefined) {
      problems.push(`${s.env}: required in production (${s.doc}); development defaults are not used for secrets`);
      continue;
    }
    const parsed = s.schema.safeParse(raw);
    if (parsed.success) {
      out[key] = parsed.data;
    } else {
      const why = raw === undefined ? 'is required' : parsed.error.issues.map((i) => i.message).join('; ');
      const shown = raw === undefined || s.secret ? '' : ` (got "${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}")`;
      problems.push(`${s.env} ${why}${shown} — ${s.doc}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(service, problems);
  return out as ConfigOf<S>;
}

/** Markdown table of a spec, for the README's configuration section. */
export function describeConfig(spec: ConfigSpec): string {
  const rows = Object.values(spec).map(
    (s) => `| \`${s.env}\` | ${s.default ?? (s.devDefault !== undefined ? (s.secret ? 'dev: built-in value; **required in production**' : `dev: \`${s.devDefault}\``) : '—')} | ${s.doc} |`,
  );
  return ['| variable | default | meaning |', '|---|---|---|', ...rows].join('\n');
}
