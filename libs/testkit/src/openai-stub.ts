// An in-process HTTP server that speaks enough of the OpenAI API for the real `openai` client:
// chat completions (plain and SSE streaming), moderations and the model list. Tests point
// OPENAI_BASE_URL at `baseURL`, script the behaviour, and assert on the recorded requests.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type StubEndpoint = 'chat.completions' | 'moderations' | 'models' | 'other';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. /v1/chat/completions. */
  path: string;
  endpoint: StubEndpoint;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body; undefined for bodiless or non-JSON requests. */
  body: unknown;
  receivedAt: Date;
}

export interface StubChatMessage {
  role: string;
  /** String content, or the text parts of multi-part content joined. */
  content: string;
}

/** What a reply function sees of a chat completion request. */
export interface StubChatRequest {
  model: string;
  messages: StubChatMessage[];
  stream: boolean;
  /** The request body as sent. */
  body: Record<string, unknown>;
}

export type ReplyFunction = (request: StubChatRequest) => string | Promise<string>;

/** Failure modes shared by every scripted endpoint. `times`: only the next N requests fail. */
export type StubFailure =
  | { kind: 'hang'; times?: number }
  | {
      kind: 'error';
      status: number;
      message?: string;
      /** `retry-after` header (seconds). 429 defaults to 1. */
      retryAfterSeconds?: number;
      /** `retry-after-ms` header, which the openai client prefers; keeps retry tests fast. */
      retryAfterMs?: number;
      times?: number;
    };

export type ChatBehaviour =
  | {
      kind: 'reply';
      /** Default: {@link echoReply}. */
      reply?: ReplyFunction;
      /** Pause before each streamed token; a non-streaming answer waits for all of them. */
      delayMsPerToken?: number;
    }
  | StubFailure;

export const MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;

export type ModerationCategory = (typeof MODERATION_CATEGORIES)[number];

export interface ModerationVerdict {
  /** Default: true when any category is true. */
  flagged?: boolean;
  categories?: Partial<Record<ModerationCategory, boolean>>;
  /** Default: 0.99 for flagged categories, 0.001 for the rest. */
  scores?: Partial<Record<ModerationCategory, number>>;
}

export type ModerationFunction = (text: string) => ModerationVerdict | Promise<ModerationVerdict>;

export type ModerationBehaviour =
  | {
      kind: 'classify';
      /** Default: nothing is flagged. */
      classify?: ModerationFunction;
    }
  | StubFailure;

export interface OpenAIStubBehaviour {
  chat?: ChatBehaviour;
  moderation?: ModerationBehaviour;
}

export interface OpenAIStubOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, only this key is accepted; otherwise any non-empty Bearer token is. */
  apiKey?: string;
  /** Ids listed by GET /v1/models. */
  models?: string[];
  behaviour?: OpenAIStubBehaviour;
}

export interface OpenAIStub {
  /** e.g. http://127.0.0.1:43125/v1 — pass as `baseURL` to the openai client. */
  baseURL: string;
  /** Every request received, in order (the array is live). */
  requests: RecordedRequest[];
  /** Replaces the behaviour of the endpoints named in `b`; the others keep theirs. */
  setBehaviour(b: OpenAIStubBehaviour): void;
  /** Default behaviour again and no recorded requests. */
  reset(): void;
  /** Stops listening and drops open (also hanging) connections. */
  close(): Promise<void>;
}

/** The default reply: deterministic and traceable to its input. */
export const echoReply: ReplyFunction = (request) => {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  return `Echo: ${lastUser?.content ?? ''}`;
};

const DEFAULT_CHAT: ChatBehaviour = { kind: 'reply' };
const DEFAULT_MODERATION: ModerationBehaviour = { kind: 'classify' };
const DEFAULT_MODELS = ['haven-stub-chat', 'omni-moderation-latest'];
const MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Word-sized tokens with their leading whitespace, so joining them gives back the text. */
export function splitIntoTokens(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

function countTokens(text: string): number {
  return splitIntoTokens(text).length;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

function errorType(status: number): { type: string; code: string | null } {
  if (status === 429) return { type: 'requests', code: 'rate_limit_exceeded' };
  if (status === 401) return { type: 'invalid_request_error', code: 'invalid_api_key' };
  if (status >= 500) return { type: 'server_error', code: null };
  return { type: 'invalid_request_error', code: null };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function sendError(res: ServerResponse, err: HttpError, headers: Record<string, string> = {}): void {
  sendJson(res, err.status, { error: { message: err.message, type: err.type, param: null, code: err.code } }, headers);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'Request body too large.', 'invalid_request_error'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function endpointOf(method: string, path: string): StubEndpoint {
  if (method === 'POST' && path === '/v1/chat/completions') return 'chat.completions';
  if (method === 'POST' && path === '/v1/moderations') return 'moderations';
  if (method === 'GET' && path === '/v1/models') return 'models';
  return 'other';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .filter((part): part is { type: 'text'; text: string } => isRecord(part) && part.type === 'text' && typeof part.text === 'string')
      .map((part) => part.text)
      .join('\n');
  }
  return '';
}

function parseChatRequest(body: unknown): StubChatRequest {
  if (!isRecord(body)) throw new HttpError(400, 'The request body must be a JSON object.', 'invalid_request_error');
  if (typeof body.model !== 'string' || body.model === '') {
    throw new HttpError(400, "you must provide a model parameter", 'invalid_request_error');
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw new HttpError(400, "Invalid 'messages': expected a non-empty array.", 'invalid_request_error');
  }
  const messages = body.messages.map((m, i): StubChatMessage => {
    if (!isRecord(m) || typeof m.role !== 'string') {
      throw new HttpError(400, `Invalid 'messages[${i}]': expected an object with a role.`, 'invalid_request_error');
    }
    return { role: m.role, content: textOf(m.content) };
  });
  return { model: body.model, messages, stream: body.stream === true, body };
}

function moderationInputs(body: unknown): string[] {
  if (!isRecord(body)) throw new HttpError(400, 'The request body must be a JSON object.', 'invalid_request_error');
  const input = body.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((i) => typeof i === 'string')) return input as string[];
  // Multi-modal input: one result for all parts together, like the real API.
  if (Array.isArray(input)) return [textOf(input)];
  throw new HttpError(400, "Invalid 'input': expected a string, an array of strings or content parts.", 'invalid_request_error');
}

function moderationResult(verdict: ModerationVerdict): Record<string, unknown> {
  const categories: Record<string, boolean> = {};
  const scores: Record<string, number> = {};
  const applied: Record<string, string[]> = {};
  for (const category of MODERATION_CATEGORIES) {
    const hit = verdict.categories?.[category] === true;
    categories[category] = hit;
    scores[category] = verdict.scores?.[category] ?? (hit ? 0.99 : 0.001);
    applied[category] = ['text'];
  }
  return {
    flagged: verdict.flagged ?? Object.values(categories).some(Boolean),
    categories,
    category_scores: scores,
    category_applied_input_types: applied,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function startOpenAIStub(opts: OpenAIStubOptions = {}): Promise<OpenAIStub> {
  const host = opts.host ?? '127.0.0.1';
  const models = opts.models ?? DEFAULT_MODELS;
  const requests: RecordedRequest[] = [];
  let chat: ChatBehaviour = opts.behaviour?.chat ?? DEFAULT_CHAT;
  let moderation: ModerationBehaviour = opts.behaviour?.moderation ?? DEFAULT_MODERATION;
  // Failures limited with `times` count down here; at zero the endpoint returns to its default.
  let chatFailuresLeft = chat.kind === 'hang' || chat.kind === 'error' ? chat.times : undefined;
  let moderationFailuresLeft = moderation.kind === 'hang' || moderation.kind === 'error' ? moderation.times : undefined;
  const hanging = new Set<ServerResponse>();
  let sequence = 0;

  const nextId = (prefix: string): string => `${prefix}-stub-${++sequence}`;

  /** Answers with a scripted failure (or, for 'hang', never answers). */
  const fail = (behaviour: StubFailure, res: ServerResponse): void => {
    if (behaviour.kind === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    const headers: Record<string, string> = {};
    const retryAfterSeconds = behaviour.retryAfterSeconds ?? (behaviour.status === 429 ? 1 : undefined);
    if (behaviour.retryAfterMs !== undefined) {
      headers['retry-after-ms'] = String(behaviour.retryAfterMs);
      headers['retry-after'] = String(Math.ceil(behaviour.retryAfterMs / 1000));
    } else if (retryAfterSeconds !== undefined) {
      headers['retry-after'] = String(retryAfterSeconds);
    }
    const { type, code } = errorType(behaviour.status);
    const message = behaviour.message ?? (behaviour.status === 429 ? 'Rate limit reached (stub).' : `Stub error ${behaviour.status}.`);
    sendError(res, new HttpError(behaviour.status, message, type, code), headers);
  };

  const currentChat = (): ChatBehaviour => {
    if (chat.kind === 'reply') return chat;
    if (chatFailuresLeft === undefined) return chat;
    if (chatFailuresLeft <= 0) return DEFAULT_CHAT;
    chatFailuresLeft--;
    return chat;
  };
  const currentModeration = (): ModerationBehaviour => {
    if (moderation.kind === 'classify') return moderation;
    if (moderationFailuresLeft === undefined) return moderation;
    if (moderationFailuresLeft <= 0) return DEFAULT_MODERATION;
    moderationFailuresLeft--;
    return moderation;
  };

  const handleChat = async (body: unknown, res: ServerResponse): Promise<void> => {
    const request = parseChatRequest(body);
    const behaviour = currentChat();
    if (behaviour.kind !== 'reply') return fail(behaviour, res);

    const reply = await (behaviour.reply ?? echoReply)(request);
    const delay = behaviour.delayMsPerToken ?? 0;
    const allTokens = splitIntoTokens(reply);
    const limit = [request.body.max_completion_tokens, request.body.max_tokens].find(
      (v): v is number => typeof v === 'number' && v > 0,
    );
    const truncated = limit !== undefined && allTokens.length > limit;
    const tokens = truncated ? allTokens.slice(0, limit) : allTokens;
    const finishReason = truncated ? 'length' : 'stop';
    const promptTokens = request.messages.reduce((sum, m) => sum + countTokens(m.content), 0);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: tokens.length,
      total_tokens: promptTokens + tokens.length,
    };
    const id = nextId('chatcmpl');
    const created = Math.floor(Date.now() / 1000);
    let clientGone = false;
    res.on('close', () => {
      clientGone = !res.writableFinished;
    });

    if (!request.stream) {
      if (delay > 0) await sleep(delay * tokens.length);
      if (clientGone) return;
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: request.model,
        system_fingerprint: 'fp_haven_stub',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: tokens.join(''), refusal: null },
            logprobs: null,
            finish_reason: finishReason,
          },
        ],
        usage,
      });
      return;
    }

    const streamOptions = request.body.stream_options;
    const includeUsage = isRecord(streamOptions) && streamOptions.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: request.model,
        system_fingerprint: 'fp_haven_stub',
        choices,
        // With include_usage the real API sends usage: null on every chunk but the last.
        ...(includeUsage ? { usage: null } : {}),
        ...extra,
      })}\n\n`;
    const choice = (delta: Record<string, unknown>, finish: string | null): Record<string, unknown> => ({
      index: 0,
      delta,
      logprobs: null,
      finish_reason: finish,
    });

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(chunk([choice({ role: 'assistant', content: '', refusal: null }, null)]));
    for (const token of tokens) {
      if (delay > 0) await sleep(delay);
      if (clientGone) return;
      res.write(chunk([choice({ content: token }, null)]));
    }
    if (clientGone) return;
    res.write(chunk([choice({}, finishReason)]));
    if (includeUsage) res.write(chunk([], { usage }));
    res.end('data: [DONE]\n\n');
  };

  const handleModeration = async (body: unknown, res: ServerResponse): Promise<void> => {
    const inputs = moderationInputs(body);
    const behaviour = currentModeration();
    if (behaviour.kind !== 'classify') return fail(behaviour, res);
    const classify = behaviour.classify ?? (() => ({}));
    const results = [];
    for (const text of inputs) results.push(moderationResult(await classify(text)));
    const model = isRecord(body) && typeof body.model === 'string' ? body.model : 'omni-moderation-latest';
    sendJson(res, 200, { id: nextId('modr'), model, results });
  };

  const authorised = (headers: IncomingHttpHeaders): HttpError | undefined => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization ?? '');
    if (!match) {
      return new HttpError(
        401,
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        'invalid_request_error',
        null,
      );
    }
    if (opts.apiKey !== undefined && match[1] !== opts.apiKey) {
      return new HttpError(401, 'Incorrect API key provided (stub).', 'invalid_request_error', 'invalid_api_key');
    }
    return undefined;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    const path = new URL(req.url ?? '/', 'http://stub').pathname.replace(/\/+$/, '');
    const endpoint = endpointOf(method, path);
    const raw = await readBody(req);
    let body: unknown;
    let invalidJson = false;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw);
      } catch {
        invalidJson = true;
      }
    }
    requests.push({ method, path, endpoint, headers: req.headers, body, receivedAt: new Date() });

    const authError = authorised(req.headers);
    if (authError) return sendError(res, authError);
    if (invalidJson) {
      throw new HttpError(400, 'We could not parse the JSON body of your request.', 'invalid_request_error');
    }
    switch (endpoint) {
      case 'chat.completions':
        return handleChat(body, res);
      case 'moderations':
        return handleModeration(body, res);
      case 'models':
        return sendJson(res, 200, {
          object: 'list',
          data: models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'haven-stub' })),
        });
      case 'other':
        throw new HttpError(404, `Invalid URL (${method} ${path})`, 'invalid_request_error');
      default: {
        const unreachable: never = endpoint;
        throw new Error(`unhandled endpoint ${String(unreachable)}`);
      }
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const httpError =
        err instanceof HttpError ? err : new HttpError(500, `Stub failure: ${err instanceof Error ? err.message : String(err)}`, 'server_error');
      sendError(res, httpError);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    baseURL: `http://${host}:${port}/v1`,
    requests,
    setBehaviour: (b) => {
      if (b.chat) {
        chat = b.chat;
        chatFailuresLeft = chat.kind === 'reply' ? undefined : chat.times;
      }
      if (b.moderation) {
        moderation = b.moderation;
        moderationFailuresLeft = moderation.kind === 'classify' ? undefined : moderation.times;
      }
    },
    reset: () => {
      chat = DEFAULT_CHAT;
      moderation = DEFAULT_MODERATION;
      chatFailuresLeft = undefined;
      moderationFailuresLeft = undefined;
      requests.length = 0;
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
