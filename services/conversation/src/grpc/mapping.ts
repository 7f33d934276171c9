import { conversationV1 } from '@haven/proto';
import type { ChatMessage, PostFrame } from '../application/postMessage';
import type { SessionSummaryView } from '../application/queries';
import type { Speaker } from '../application/transcriptView';
import type { Persona } from '../domain/personas';

const SPEAKERS: Record<Speaker, conversationV1.Speaker> = {
  user: conversationV1.Speaker.SPEAKER_USER,
  ai: conversationV1.Speaker.SPEAKER_AI,
  system: conversationV1.Speaker.SPEAKER_SYSTEM,
};

export function messageToProto(m: ChatMessage): conversationV1.Message {
  return {
    id: m.id,
    sessionId: m.sessionId,
    speaker: SPEAKERS[m.speaker],
    content: m.content,
    createdAt: m.createdAt,
    safetyLevel: m.safetyLevel,
    model: m.model,
    offline: m.offline,
    clientMessageId: m.clientMessageId,
    sentiment: m.sentiment,
  };
}

export function frameToProto(f: PostFrame): conversationV1.PostMessageResponse {
  switch (f.type) {
    case 'accepted':
      return { frame: { $case: 'accepted', accepted: messageToProto(f.message) } };
    case 'safety':
      return { frame: { $case: 'safety', safety: f.safety } };
    case 'token':
      return { frame: { $case: 'token', token: f.delta } };
    case 'completed':
      return { frame: { $case: 'completed', completed: messageToProto(f.message) } };
    default: {
      const never: never = f;
      return never;
    }
  }
}

export function personaToProto(p: Persona): conversationV1.Persona {
  return { id: p.id, name: p.name, specialty: p.specialty, approach: p.approach, free: p.free, modality: p.modality, style: p.style, voiceAvatar: p.voiceAvatar };
}

export function summaryToProto(s: SessionSummaryView): conversationV1.SessionSummary {
  return { ...s };
}
