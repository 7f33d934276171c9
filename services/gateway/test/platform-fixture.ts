import { randomBytes } from 'node:crypto';
import { startOpenAIStub, startPlatform, type OpenAIStub, type ReplyFunction, type RunningPlatform } from '@haven/testkit';

/** The whole platform on the harness's servers with the LLM stub, plus a small REST client. */
export interface PlatformFixture {
  platform: RunningPlatform;
  stub: OpenAIStub;
  admin: { email: string; password: string };
  // Response bodies are asserted field by field in the tests; loosely typed on purpose.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  api(method: string, path: string, token?: string, body?: unknown, ip?: string): Promise<{ status: number; json: any; text: string; headers: Headers }>;
  register(name: string, extra?: Record<string, unknown>): Promise<{ user: { id: string }; accessToken: string }>;
  login(email: string, password: string): Promise<string>;
  stop(): Promise<void>;
}

export interface PlatformFixtureOptions {
  /** Every line a service writes (e.g. to search the logs for content that must not be there). */
  onOutput?: (service: string, line: string) => void;
}

export async function startPlatformFixture(env: NodeJS.ProcessEnv = {}, stubReply?: ReplyFunction, opts: PlatformFixtureOptions = {}): Promise<PlatformFixture> {
  const stub = await startOpenAIStub({ behaviour: { chat: { kind: 'reply', ...(stubReply ? { reply: stubReply } : {}), delayMsPerToken: 1 } } });
  const admin = { email: `admin-${randomBytes(3).toString('hex')}@haven.test`, password: randomBytes(12).toString('base64url') };
  const platform = await startPlatform({
    natsUrl: process.env.NATS_URL!,
    redisUrl: process.env.REDIS_URL!,
    mongoUrl: process.env.MONGO_URL!,
    mongoDb: `e2e_${randomBytes(3).toString('hex')}`,
    ports: 'free',
    env: { LOG_LEVEL: process.env.HAVEN_TEST_LOG_LEVEL ?? 'warn', OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: stub.baseURL, OPENAI_MODEL: 'stub-model', ...env },
    serviceEnv: { gateway: { SEED_ADMIN_EMAIL: admin.email, SEED_ADMIN_PASSWORD: admin.password, TRUST_PROXY: 'true' } },
    ...(opts.onOutput ? { onOutput: opts.onOutput } : {}),
  });
  // Every fixture request comes from its own address unless told otherwise, so auth limits stay per test.
  let ipNo = 1;
  const api: PlatformFixture['api'] = async (method, path, token, body, ip) => {
    const res = await fetch(`${platform.gatewayUrl}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        'x-forwarded-for': ip ?? `10.77.${Math.floor(ipNo / 250)}.${ipNo++ % 250}`,
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
  const register: PlatformFixture['register'] = async (name, extra = {}) => {
    const r = await api('POST', '/api/v1/auth/register', undefined, { email: `${name}-${randomBytes(4).toString('hex')}@example.org`, password: 'a long enough password', ...extra });
    if (r.status !== 201) throw new Error(`register failed: ${r.status} ${r.text}`);
    return r.json;
  };
  const login: PlatformFixture['login'] = async (email, password) => {
    const r = await api('POST', '/api/v1/auth/login', undefined, { email, password });
    if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
    return r.json.accessToken as string;
  };
  return {
    platform,
    stub,
    admin,
    api,
    register,
    login,
    stop: async () => {
      await platform.stop();
      await stub.close();
    },
  };
}
