/** A place to get help now, shown to the user in SAFETY_MODE (CrisisResource on the wire). */
export interface CrisisResource {
  name: string;
  phone: string;
  /** How to reach it by text message, when it can be. */
  text: string;
  url: string;
}

const emergency = (phone: string): CrisisResource => ({ name: 'Emergency services', phone, text: '', url: '' });

// Nationally run, free, 24/7 lines. Emergency numbers first: SAFETY_MODE means possible immediate danger.
const BY_COUNTRY: Record<string, CrisisResource[]> = {
  GB: [
    emergency('999'),
    { name: 'Samaritans', phone: '116 123', text: '', url: 'https://www.samaritans.org' },
    { name: 'Shout', phone: '', text: 'Text SHOUT to 85258', url: 'https://giveusashout.org' },
  ],
  US: [
    emergency('911'),
    { name: '988 Suicide & Crisis Lifeline', phone: '988', text: 'Text 988', url: 'https://988lifeline.org' },
  ],
  IE: [
    emergency('112 or 999'),
    { name: 'Samaritans Ireland', phone: '116 123', text: '', url: 'https://www.samaritans.org/ireland' },
    { name: 'Text About It', phone: '', text: 'Text HELLO to 50808', url: 'https://text50808.ie' },
  ],
  CA: [
    emergency('911'),
    { name: '9-8-8 Suicide Crisis Helpline', phone: '988', text: 'Text 988', url: 'https://988.ca' },
  ],
  AU: [
    emergency('000'),
    { name: 'Lifeline', phone: '13 11 14', text: 'Text 0477 13 11 14', url: 'https://www.lifeline.org.au' },
  ],
  NZ: [
    emergency('111'),
    { name: 'Need to talk? 1737', phone: '1737', text: 'Text 1737', url: 'https://1737.org.nz' },
  ],
  DE: [
    emergency('112'),
    { name: 'TelefonSeelsorge', phone: '0800 111 0 111', text: '', url: 'https://www.telefonseelsorge.de' },
  ],
  AT: [
    emergency('112'),
    { name: 'TelefonSeelsorge', phone: '142', text: '', url: 'https://www.telefonseelsorge.at' },
  ],
  FR: [
    emergency('112'),
    { name: '3114 — numéro national de prévention du suicide', phone: '3114', text: '', url: 'https://3114.fr' },
  ],
};

// Aliases people and platforms use for the same country.
const COUNTRY_ALIASES: Record<string, string> = { UK: 'GB' };

const INTERNATIONAL: CrisisResource[] = [
  { name: 'Local emergency number', phone: '112 (or your local emergency number)', text: '', url: '' },
  { name: 'Find A Helpline', phone: '', text: '', url: 'https://findahelpline.com' },
];

/** Country part of a locale such as en-GB, en_US, de-AT or fr-FR (undefined for a bare language). */
function countryOf(locale: string): string | undefined {
  const parts = locale.trim().split(/[-_]/);
  for (const part of parts.slice(1)) {
    if (/^[A-Za-z]{2}$/.test(part)) {
      const upper = part.toUpperCase();
      return COUNTRY_ALIASES[upper] ?? upper;
    }
  }
  return undefined;
}

/** Crisis resources for the user's locale; an international fallback when the country is unknown. */
export function crisisResourcesFor(locale: string): CrisisResource[] {
  const country = countryOf(locale);
  const own = country === undefined ? undefined : BY_COUNTRY[country];
  return (own ?? INTERNATIONAL).map((r) => ({ ...r }));
}

/** Resources are shown once there is real concern: an ELEVATED/SAFETY_MODE session or an ELEVATED_CONCERN+ message. */
export function showsCrisisResources(state: string, level: string | null | undefined): boolean {
  return state === 'ELEVATED' || state === 'SAFETY_MODE' || level === 'ELEVATED_CONCERN' || level === 'HIGH_RISK';
}
