import { stringify } from 'csv-stringify/sync';
import type { Transcript } from '../application/queries';

/** RFC 4180 CSV (quotes, commas and newlines escaped by csv-stringify), one row per message. */
export function transcriptCsv(t: Transcript): Buffer {
  const rows = t.messages.map((m) => ({
    timestamp: m.createdAt.toISOString(),
    speaker: m.speaker,
    content: m.content,
    safety_level: m.safetyLevel,
    model: m.model,
  }));
  const csv = stringify(rows, { header: true, columns: ['timestamp', 'speaker', 'content', 'safety_level', 'model'] });
  // A BOM so spreadsheet apps read the UTF-8 text correctly.
  return Buffer.from(`\uFEFF${csv}`, 'utf8');
}
