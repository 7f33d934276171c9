import OpenAI, { APIConnectionTimeoutError, InternalServerError } from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startOpenAIStub, type OpenAIStub } from '../src/index';

let stub: OpenAIStub;
beforeAll(async () => {
  stub = await startOpenAIStub();
});
afterAll(async () => {
  await stub.close();
});
beforeEach(() => {
  stub.reset();
});

function client(opts: { timeout?: number; maxRetries?: number } = {}): OpenAI {
  return new OpenAI({ apiKey: 'test-key', baseURL: stub.baseURL, maxRetries: opts.maxRetries ?? 0, timeout: opts.timeout ?? 5_000 });
}

const selfHarmClassifier = (text: string) =>
  /hurt myself/i.test(text)
    ? { categories: { 'self-harm': true, 'self-harm/intent': true } }
    : { categories: {} };

describe('OpenAI stub with the real openai client', () => {
  it('answers a chat completion with the default echo reply, usage and the request recorded', async () => {
    const completion = await client().chat.completions.create({
      model: 'haven-test',
      messages: [
        { role: 'system', content: 'Be kind.' },
        { role: 'user', content: 'I had a long day' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.model).toBe('haven-test');
    expect(completion.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Echo: I had a long day' });
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 2 + 5, completion_tokens: 6, total_tokens: 13 });

    expect(stub.requests).toHaveLength(1);
    expect(stub.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', endpoint: 'chat.completions' });
    expect(stub.requests[0]?.headers.authorization).toBe('Bearer test-key');
    expect(stub.requests[0]?.body).toMatchObject({ model: 'haven-test', messages: [{ role: 'system' }, { role: 'user' }] });
  });

  it('streams a reply as role, several content deltas, finish_reason and a usage chunk', async () => {
    const reply = 'Thank you for telling me. What felt hardest today?';
    stub.setBehaviour({ chat: { kind: 'reply', reply: (req) => (req.stream ? reply : 'not streamed') } });
    const stream = await client().chat.completions.create({
      model: 'haven-test',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    const deltas = chunks.flatMap((c) => c.choices.map((choice) => choice.delta));
    expect(deltas[0]?.role).toBe('assistant');
    const contentDeltas = deltas.map((d) => d.content ?? '').filter((c) => c !== '');
    expect(contentDeltas.length).toBeGreaterThan(3);
    expect(contentDeltas.join('')).toBe(reply);
    expect(chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter(Boolean)).toEqual(['stop']);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toEqual({ prompt_tokens: 1, completion_tokens: contentDeltas.length, total_tokens: 1 + contentDeltas.length });
  });

  it('paces streamed tokens with delayMsPerToken and stops at max_tokens', async () => {
    stub.setBehaviour({ chat: { kind: 'reply', reply: () => 'one two three four five six', delayMsPerToken: 25 } });
    const startedAt = Date.now();
    const stream = await client().chat.completions.create({
      model: 'haven-test',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      max_tokens: 4,
    });
    let text = '';
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('one two three four');
    expect(finish).toBe('length');
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(4 * 25 - 5);
  });

  it('moderates with the scripted function: self-harm categories and scores', async () => {
    stub.setBehaviour({ moderation: { kind: 'classify', classify: selfHarmClassifier } });
    const result = await client().moderations.create({
      model: 'omni-moderation-latest',
      input: ['I want to hurt myself', 'I went for a walk'],
    });
    const [risky, calm] = result.results;
    expect(risky?.flagged).toBe(true);
    expect(risky?.categories['self-harm']).toBe(true);
    expect(risky?.categories['self-harm/intent']).toBe(true);
    expect(risky?.categories['self-harm/instructions']).toBe(false);
    expect(risky?.category_scores['self-harm/intent']).toBeGreaterThan(0.9);
    expect(calm?.flagged).toBe(false);
    expect(calm?.category_scores['self-harm']).toBeLessThan(0.01);
  });

  it('hangs when told to, so a client with a 300 ms timeout fails with a timeout', async () => {
    stub.setBehaviour({ chat: { kind: 'hang' } });
    const startedAt = Date.now();
    const attempt = client({ timeout: 300, maxRetries: 0 }).chat.completions.create({
      model: 'haven-test',
      messages: [{ role: 'user', content: 'hello?' }],
    });
    await expect(attempt).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('answers 500 so the client fails after its retries', async () => {
    stub.setBehaviour({ chat: { kind: 'error', status: 500 } });
    const attempt = client({ maxRetries: 1 }).chat.completions.create({
      model: 'haven-test',
      messages: [{ role: 'user', content: 'hello?' }],
    });
    await expect(attempt).rejects.toBeInstanceOf(InternalServerError);
    expect(stub.requests.filter((r) => r.endpoint === 'chat.completions')).toHaveLength(2);
  });

  it('answers 429 with retry-after for a limited number of requests, then recovers', async () => {
    stub.setBehaviour({ chat: { kind: 'error', status: 429, retryAfterMs: 20, times: 1 } });
    const completion = await client({ maxRetries: 1 }).chat.completions.create({
      model: 'haven-test',
      messages: [{ role: 'user', content: 'again' }],
    });
    expect(completion.choices[0]?.message.content).toBe('Echo: again');
    expect(stub.requests).toHaveLength(2);
  });

  it('rejects requests without an API key with 401, like the real API', async () => {
    const res = await fetch(`${stub.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'haven-test', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toMatch(/didn't provide an API key/);
  });

  it('lists models', async () => {
    const models = [];
    for await (const model of client().models.list()) models.push(model.id);
    expect(models).toEqual(['haven-stub-chat', 'omni-moderation-latest']);
  });
});
