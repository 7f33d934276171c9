import type { CrisisResource } from './session';

function resourceLine(r: CrisisResource): string {
  const ways = [r.phone && `call ${r.phone}`, r.text && `text ${r.text}`, r.url].filter(Boolean).join(', ');
  return ways ? `• ${r.name}: ${ways}` : `• ${r.name}`;
}

/** How a resource travels in the stream's safety frame (one string each). */
export function resourceLabel(r: CrisisResource): string {
  return resourceLine(r).slice(2);
}

/**
 * The fixed crisis protocol message that replaces the AI reply when a message is HIGH_RISK or the
 * session is in safety mode: warm, direct ("Are you safe right now?"), the resources for the
 * user's locale, and staying with the person. Written by people, never generated.
 */
export function crisisProtocolMessage(resources: readonly CrisisResource[]): string {
  const lines = [
    'I’m really glad you told me, and I want to make sure you’re okay. Are you safe right now?',
    '',
    'You don’t have to go through this alone. If you are in immediate danger, please call your local emergency number now.',
  ];
  if (resources.length > 0) {
    lines.push('', 'You can reach someone right now:', ...resources.map(resourceLine));
  }
  lines.push(
    '',
    'I’m an AI and not a therapist or an emergency service, but I’m here with you and I’m not going anywhere. A member of our support team has been notified. Can you tell me where you are and whether someone can be with you?',
  );
  return lines.join('\n');
}
