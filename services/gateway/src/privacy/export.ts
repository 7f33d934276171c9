import type { DomainError } from '@haven/platform';
import { billingV1, conversationV1, sessionV1 } from '@haven/proto';
import type { Accounts, UserView } from '../identity/application/accounts';
import type { Upstreams } from '../upstreams';

export interface ExportDeps {
  accounts: Pick<Accounts, 'getUser'>;
  upstreams: Pick<Upstreams, 'session' | 'conversation' | 'memory' | 'billing'>;
  now: () => Date;
}

/** A part of the export that could not be produced, said plainly instead of failing the whole export. */
export interface ExportNote {
  part: 'sessions' | 'transcripts' | 'memories' | 'credits';
  message: string;
}

export interface UserExport {
  format: 'haven-export-v1';
  exportedAt: string;
  account: UserView;
  sessions: { history: unknown[]; upcoming: unknown[]; active: unknown[] } | null;
  transcripts: { sessionId: string; messages: unknown[] }[] | null;
  memories: unknown;
  credits: unknown;
  notes: ExportNote[];
}

const PAGE = 100;
const MAX_HISTORY_PAGES = 100;

function reason(err: unknown, service: string): string {
  const e = err as Partial<DomainError>;
  return `${service} could not provide this part (${e.code ?? 'ERROR'}); it is left out of this export, ask again later`;
}

/**
 * GET /api/v1/me/export: everything Haven holds about the caller — and only the caller: every
 * upstream call carries the caller's own user id, never one from the request. Parts whose service
 * is unavailable or not implemented yet are left out with a note.
 */
export async function composeUserExport(deps: ExportDeps, userId: string): Promise<UserExport> {
  const { session, conversation, memory, billing } = deps.upstreams;
  const notes: ExportNote[] = [];
  const account = await deps.accounts.getUser(userId);

  const list = async (filter: sessionV1.SessionFilter, pages: number) => {
    const out: unknown[] = [];
    const ids: string[] = [];
    let cursor = '';
    for (let page = 0; page < pages; page += 1) {
      const res = await session.unary((c) => c.listSessions, 'ListSessions', { userId, cursor, limit: PAGE, filter });
      for (const s of res.sessions) {
        if (s.userId !== '' && s.userId !== userId) continue; // defence in depth: never another user's data
        out.push(sessionV1.Session.toJSON(s));
        ids.push(s.id);
      }
      if (res.nextCursor === '' || res.sessions.length === 0) break;
      cursor = res.nextCursor;
    }
    return { out, ids };
  };

  let sessions: UserExport['sessions'] = null;
  let sessionIds: string[] = [];
  try {
    const [history, upcoming, active] = await Promise.all([
      list(sessionV1.SessionFilter.SESSION_FILTER_HISTORY, MAX_HISTORY_PAGES),
      list(sessionV1.SessionFilter.SESSION_FILTER_UPCOMING, 1),
      list(sessionV1.SessionFilter.SESSION_FILTER_ACTIVE, 1),
    ]);
    sessions = { history: history.out, upcoming: upcoming.out, active: active.out };
    sessionIds = [...new Set([...history.ids, ...active.ids])];
  } catch (err) {
    notes.push({ part: 'sessions', message: reason(err, 'the session service') });
  }

  let transcripts: UserExport['transcripts'] = sessions === null ? null : [];
  if (transcripts !== null) {
    for (const sessionId of sessionIds) {
      try {
        const t = await conversation.unary((c) => c.getTranscript, 'GetTranscript', { sessionId, userId });
        transcripts.push({ sessionId, messages: t.messages.map((m) => conversationV1.Message.toJSON(m)) });
      } catch (err) {
        notes.push({ part: 'transcripts', message: reason(err, 'the conversation service') });
        transcripts = null;
        break;
      }
    }
  }
  if (sessions === null) notes.push({ part: 'transcripts', message: 'transcripts are listed per session; without the sessions they are left out of this export' });

  let memories: unknown = null;
  try {
    const res = await memory.unary((c) => c.exportUserData, 'ExportUserData', { userId });
    memories = JSON.parse(res.json) as unknown;
  } catch (err) {
    notes.push({ part: 'memories', message: reason(err, 'the memory service') });
  }

  let credits: unknown = null;
  try {
    credits = billingV1.GetBalanceResponse.toJSON(await billing.unary((c) => c.getBalance, 'GetBalance', { userId }));
  } catch (err) {
    notes.push({ part: 'credits', message: reason(err, 'the billing service') });
  }

  return { format: 'haven-export-v1', exportedAt: deps.now().toISOString(), account, sessions, transcripts, memories, credits, notes };
}
