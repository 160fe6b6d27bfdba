/**
 * Words that describe a storage problem (docs/health.md, "Correlation"), each with the patterns
 * that find it in a customer's text. Matching is on lower-cased text, on word starts, so a
 * sentence still being typed ("my volume is sl") matches nothing until the word is there.
 */
export const SYMPTOMS = {
  latency: [/\bslow/, /\blatenc/, /\blag(s|gy|ging)?\b/, /\bsluggish/],
  'io-error': [/\bi\/?o errors?\b/, /\beio\b/, /\bio errors?\b/, /\berrors?\b/, /\bcorrupt/],
  timeout: [/\btime ?outs?\b/, /\btimed out\b/, /\bhang/, /\bhung\b/, /\bstuck\b/, /\bfreez/, /\bfroze/],
  'read-only': [/\bread-?only\b/, /\bro mount/, /\bcannot write\b/, /\bcan'?t write\b/],
  unavailable: [/\bunavailable\b/, /\bdown\b/, /\bunreachable\b/, /\bdisconnect/, /\bnot respond/, /\bcannot (connect|attach)\b/, /\bgone\b/],
} as const;
export type Symptom = keyof typeof SYMPTOMS;

/** The symptoms named in `text`, in a stable order. */
export function symptomsIn(text: string): Symptom[] {
  const lower = text.toLowerCase();
  return (Object.keys(SYMPTOMS) as Symptom[]).filter((symptom) => SYMPTOMS[symptom].some((pattern) => pattern.test(lower)));
}
