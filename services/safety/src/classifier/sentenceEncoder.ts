import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Tokenizer as TokenizerClass } from '@huggingface/tokenizers' with { 'resolution-mode': 'import' };
import { InferenceSession, Tensor } from 'onnxruntime-node';

// The package's type declarations are ESM-only, but it ships a CommonJS build: load that, typed from the declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Tokenizer } = require('@huggingface/tokenizers') as { Tokenizer: typeof TokenizerClass };

/**
 * The pretrained sentence encoder of the offline classifier: all-MiniLM-L6-v2 (int8 ONNX) run by
 * onnxruntime on the CPU, with its own WordPiece tokenizer read from tokenizer.json. Everything
 * is local files installed by `bash deploy/local/setup.sh` (deploy/local/install-tools.sh models);
 * nothing is downloaded at run time. See docs/adr/0007-safety-classifier-sentence-encoder.md.
 */
export interface SentenceEncoder {
  /** Width of an embedding (384). */
  readonly dimension: number;
  /**
   * Embeds texts as unit-length vectors (mean pooling over the tokens, then L2 normalisation,
   * as sentence-transformers does for this model). Order follows the input.
   */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /**
   * Embeds texts given as segments (e.g. sentences) in one pass each: the segments' word pieces
   * are joined between [CLS] and [SEP], `whole` is the mean over all tokens (as embed() gives for
   * the joined text) and `parts` the mean over each segment's own tokens, read in the context of
   * the others. Segments cut off by the 256-token limit get no part.
   */
  embedSegments(inputs: readonly (readonly string[])[]): Promise<SegmentEmbedding[]>;
  /** Token ids the model sees for a text (with [CLS]/[SEP], truncated to MAX_TOKENS). */
  tokenize(text: string): number[];
  release(): Promise<void>;
}

export interface SegmentEmbedding {
  readonly whole: Float32Array;
  readonly parts: Float32Array[];
}

/** The sequence length the model was trained with (sentence-transformers' max_seq_length). */
export const MAX_TOKENS = 256;
/** Text beyond this is never reached within MAX_TOKENS word pieces; cutting it first bounds tokenizer time. */
const MAX_CHARS_TOKENIZED = 4_000;
/** Largest batch per ONNX run: bigger batches barely speed up a 2-core CPU and cost memory. */
const BATCH = 32;

export const MODEL_FILES = ['model.onnx', 'tokenizer.json', 'tokenizer_config.json'] as const;

export class EncoderModelMissingError extends Error {
  constructor(modelDir: string, missing: readonly string[]) {
    super(
      `the safety classifier's sentence encoder is not installed: ${missing.join(', ')} missing in ${modelDir}. ` +
        'Run `bash deploy/local/setup.sh` (or `bash deploy/local/install-tools.sh models`) to install it, ' +
        'point SAFETY_ENCODER_MODEL_DIR at an installed copy, or set SAFETY_ENCODER=off to run the rules alone (lower recall).',
    );
    this.name = 'EncoderModelMissingError';
  }
}

export interface EncoderOptions {
  /**
   * Threads one inference may use (default 1). A chat message is a few dozen tokens: one thread
   * is as fast as two for that, and leaves the other core to the event loop and other requests.
   */
  readonly threads?: number;
}

function readJson(path: string): object {
  return JSON.parse(readFileSync(path, 'utf8')) as object;
}

export async function loadSentenceEncoder(modelDir: string, options: EncoderOptions = {}): Promise<SentenceEncoder> {
  const missing = MODEL_FILES.filter((f) => !existsSync(join(modelDir, f)));
  if (missing.length > 0) throw new EncoderModelMissingError(modelDir, missing);

  const tokenizer = new Tokenizer(readJson(join(modelDir, 'tokenizer.json')), readJson(join(modelDir, 'tokenizer_config.json')));
  const sepId = tokenizer.token_to_id('[SEP]');
  const clsId = tokenizer.token_to_id('[CLS]');
  if (sepId === undefined || clsId === undefined) throw new Error(`tokenizer in ${modelDir} has no [CLS]/[SEP] token`);
  const threads = options.threads ?? 1;
  const session = await InferenceSession.create(join(modelDir, 'model.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  const wantsTokenTypes = session.inputNames.includes('token_type_ids');
  const output = session.outputNames[0];
  if (output === undefined) throw new Error('the encoder model has no output');

  interface Row {
    readonly ids: number[];
    /** [start, end) token ranges of the segments inside ids. */
    readonly spans: [number, number][];
  }

  const rowOf = (segments: readonly string[]): Row => {
    const ids = [clsId];
    const spans: [number, number][] = [];
    let budget = MAX_CHARS_TOKENIZED;
    for (const segment of segments) {
      if (ids.length >= MAX_TOKENS - 1 || budget <= 0) break;
      const piece = tokenizer.encode(segment.slice(0, budget), { add_special_tokens: false }).ids.slice(0, MAX_TOKENS - 1 - ids.length);
      budget -= segment.length + 1;
      if (piece.length === 0) continue;
      spans.push([ids.length, ids.length + piece.length]);
      ids.push(...piece);
    }
    ids.push(sepId);
    return { ids, spans };
  };

  const meanOf = (values: Float32Array, base: number, from: number, to: number, dim: number): Float32Array => {
    const pooled = new Float32Array(dim);
    for (let c = from; c < to; c++) {
      const at = base + c * dim;
      for (let d = 0; d < dim; d++) pooled[d]! += values[at + d]!;
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      pooled[d]! /= to - from;
      norm += pooled[d]! * pooled[d]!;
    }
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) pooled[d]! /= norm;
    return pooled;
  };

  const runBatch = async (batch: readonly Row[]): Promise<SegmentEmbedding[]> => {
    const width = Math.max(...batch.map((row) => row.ids.length));
    const size = batch.length * width;
    const ids = new BigInt64Array(size);
    const mask = new BigInt64Array(size);
    batch.forEach((row, r) => {
      row.ids.forEach((id, c) => {
        ids[r * width + c] = BigInt(id);
        mask[r * width + c] = 1n;
      });
    });
    const feeds: Record<string, Tensor> = {
      input_ids: new Tensor('int64', ids, [batch.length, width]),
      attention_mask: new Tensor('int64', mask, [batch.length, width]),
    };
    if (wantsTokenTypes) feeds.token_type_ids = new Tensor('int64', new BigInt64Array(size), [batch.length, width]);
    const result = await session.run(feeds);
    const hidden = result[output];
    if (!hidden || hidden.dims.length !== 3) throw new Error(`unexpected encoder output ${output}`);
    const dim = Number(hidden.dims[2]);
    const values = hidden.data as Float32Array;
    // Mean over the real tokens (padding masked out), then unit length: sentence-transformers' pooling.
    return batch.map((row, r) => ({
      whole: meanOf(values, r * width * dim, 0, row.ids.length, dim),
      parts: row.spans.map(([from, to]) => meanOf(values, r * width * dim, from, to, dim)),
    }));
  };

  const embedSegments = async (inputs: readonly (readonly string[])[]): Promise<SegmentEmbedding[]> => {
    const rows = inputs.map(rowOf);
    // Similar lengths share a batch so little compute goes to padding.
    const order = rows.map((_, i) => i).sort((a, b) => rows[a]!.ids.length - rows[b]!.ids.length || a - b);
    const out = new Array<SegmentEmbedding>(rows.length);
    for (let start = 0; start < order.length; start += BATCH) {
      const slice = order.slice(start, start + BATCH);
      const embedded = await runBatch(slice.map((i) => rows[i]!));
      slice.forEach((i, k) => {
        out[i] = embedded[k]!;
      });
    }
    return out;
  };

  const encoder: SentenceEncoder = {
    dimension: 384,
    tokenize: (text) => rowOf([text]).ids,
    embedSegments,
    async embed(texts) {
      return (await embedSegments(texts.map((t) => [t]))).map((e) => e.whole);
    },
    release: () => session.release(),
  };
  const [probe] = await encoder.embed(['warm-up']);
  if (probe?.length !== encoder.dimension) throw new Error(`the encoder in ${modelDir} gives ${probe?.length} dimensions, expected ${encoder.dimension}`);
  return encoder;
}

/** Cosine similarity of two unit vectors. */
export function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}
