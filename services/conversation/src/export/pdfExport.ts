import PDFDocument from 'pdfkit';
import type { Transcript } from '../application/queries';

const SPEAKER_LABEL = { user: 'You', ai: 'AI', system: 'Haven' } as const;

function hhmm(d: Date): string {
  return d.toISOString().slice(11, 16);
}

/**
 * A PDF of the transcript: title, session date, persona, then each message with speaker and time
 * (UTC). Uses the standard Helvetica font, so characters outside Windows-1252 are not drawn.
 */
export function transcriptPdf(t: Transcript): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: 'Haven session transcript', Creator: 'Haven' } });
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);

    doc.font('Helvetica-Bold').fontSize(18).text('Haven session transcript');
    doc.moveDown(0.5);
    doc.font('Helvetica').fontSize(10);
    doc.text(`Session date: ${t.startedAt ? t.startedAt.toISOString().slice(0, 10) : 'unknown'}`);
    doc.text(`Persona: ${t.personaName || 'unknown'}`);
    doc.text(`Session: ${t.sessionId}`);
    doc.moveDown();
    doc.fontSize(8).fillColor('#555555').text('Haven is an AI wellbeing companion, not a therapist and not a medical device. Times are UTC.');
    doc.fillColor('black').moveDown();
    for (const m of t.messages) {
      doc.font('Helvetica-Bold').fontSize(10).text(`${SPEAKER_LABEL[m.speaker]} · ${hhmm(m.createdAt)}`);
      doc.font('Helvetica').fontSize(10).text(m.content || '(content not kept)');
      doc.moveDown(0.5);
    }
    doc.end();
  });
}
