import { errors, type ServiceHandlers } from '@haven/platform';
import { conversationV1 } from '@haven/proto';
import type { PostFrame, PostMessageRequest } from '../application/postMessage';
import type { SessionSummaryView, SessionThemesView, Transcript } from '../application/queries';
import { PERSONAS } from '../domain/personas';
import { transcriptCsv } from '../export/csvExport';
import { transcriptPdf } from '../export/pdfExport';
import { frameToProto, messageToProto, personaToProto, summaryToProto } from './mapping';

export interface ConversationUseCases {
  postMessage(req: PostMessageRequest, signal: AbortSignal): AsyncIterable<PostFrame>;
  getTranscript(sessionId: string, userId: string): Promise<Transcript>;
  getSummary(sessionId: string, userId: string): Promise<SessionSummaryView>;
  listSessionThemes(sessionIds: readonly string[]): Promise<SessionThemesView[]>;
}

export function conversationHandlers(uc: ConversationUseCases): ServiceHandlers<typeof conversationV1.ConversationServiceService> {
  return {
    async *postMessage(req, ctx) {
      for await (const frame of uc.postMessage(req, ctx.signal)) yield frameToProto(frame);
    },
    async getTranscript(req) {
      const t = await uc.getTranscript(req.sessionId, req.userId);
      return { sessionId: t.sessionId, messages: t.messages.map(messageToProto) };
    },
    async listPersonas() {
      return { personas: PERSONAS.map(personaToProto) };
    },
    async getSummary(req) {
      return { summary: summaryToProto(await uc.getSummary(req.sessionId, req.userId)) };
    },
    async listSessionThemes(req) {
      return { sessions: await uc.listSessionThemes(req.sessionIds) };
    },
    async exportTranscript(req) {
      const format = req.format;
      if (format !== conversationV1.ExportFormat.EXPORT_FORMAT_CSV && format !== conversationV1.ExportFormat.EXPORT_FORMAT_PDF) {
        throw errors.invalidArgument('INVALID_EXPORT_FORMAT', 'format must be CSV or PDF');
      }
      const t = await uc.getTranscript(req.sessionId, req.userId);
      const base = `haven-session-${t.sessionId}`;
      if (format === conversationV1.ExportFormat.EXPORT_FORMAT_CSV) {
        return { data: transcriptCsv(t), contentType: 'text/csv; charset=utf-8', filename: `${base}.csv` };
      }
      return { data: await transcriptPdf(t), contentType: 'application/pdf', filename: `${base}.pdf` };
    },
  };
}
