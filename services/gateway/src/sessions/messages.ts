import type { conversationV1 } from '@haven/proto';
import type { Upstreams } from '../upstreams';

export interface PostedMessage {
  message?: conversationV1.Message;
  reply?: conversationV1.Message;
  safety: { level: string; state: string; resources?: string[] } | null;
}

/**
 * Sends one user message through conversation.PostMessage and collects the stream. Token frames
 * are not forwarded from here: clients on the WebSocket get them from the live subject (ADR 0005).
 */
export async function postMessage(up: Upstreams, input: { sessionId: string; userId: string; content: string; clientMessageId: string; locale: string }): Promise<PostedMessage> {
  const out: PostedMessage = { safety: null };
  for await (const frame of up.conversation.stream((c) => c.postMessage, 'PostMessage', input, { deadlineMs: 120_000 })) {
    const f = frame.frame;
    if (!f) continue;
    switch (f.$case) {
      case 'accepted':
        out.message = f.accepted;
        break;
      case 'safety':
        out.safety = { level: f.safety.level, state: f.safety.state, ...(f.safety.resources.length ? { resources: f.safety.resources } : {}) };
        break;
      case 'completed':
        out.reply = f.completed;
        break;
      case 'token':
        break;
    }
  }
  return out;
}
