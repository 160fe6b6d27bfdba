/**
 * Secrets the collector recognises, replaced before anything is packaged; each replacement
 * counts once in the manifest's `redactions`. What is recognised (docs/diagnostics-collector.md):
 * private key PEM blocks (also one cut open by a size cap), TLS-PSK keys `identity:<64 hex>`
 * (a keys file line, or inside a log line) and `keyHex` values, AWS access key ids (`AKIA…`, `ASIA…`) and secret
 * keys after their usual names, `Authorization:` header values, and `password=` values.
 */

export const REDACTED = '[REDACTED]';

interface Rule {
  readonly pattern: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

const RULES: readonly Rule[] = [
  {
    // A whole block, or a BEGIN whose END was cut off by a cap (the rest of the text goes).
    pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$(?![\s\S]))/g,
    replace: (_match, kind: string) => `-----BEGIN ${kind}PRIVATE KEY-----\n${REDACTED}\n-----END ${kind}PRIVATE KEY-----`,
  },
  {
    // The body and END of a block whose BEGIN was cut off (a log's tail).
    pattern: /^(?:[A-Za-z0-9+/=]{16,}\r?\n)+-----END ([A-Z0-9 ]*)PRIVATE KEY-----/gm,
    replace: (_match, kind: string) => `${REDACTED}\n-----END ${kind}PRIVATE KEY-----`,
  },
  // A PSK keys file line, or the same pair inside a log line (a `sha256:<hex>` digest goes too: better too much than a key).
  { pattern: /(?<![A-Za-z0-9_.-])([A-Za-z0-9_.-]{1,64}):[0-9a-fA-F]{64}(?![0-9a-fA-F])/g, replace: (_match, identity: string) => `${identity}:${REDACTED}` },
  { pattern: /("keyHex"\s*:\s*")[0-9a-fA-F]{64}(")/g, replace: (_match, before: string, after: string) => `${before}${REDACTED}${after}` },
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: () => REDACTED },
  {
    pattern: /((?:aws_secret_access_key|secret_?access_?key|aws_secret_key)["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])/gi,
    replace: (_match, before: string) => `${before}${REDACTED}`,
  },
  { pattern: /(\bAuthorization["']?\s*:\s*)[^\r\n"]+/gi, replace: (_match, before: string) => `${before}${REDACTED}` },
  { pattern: /(\bpassword\s*=\s*)[^\s&;,'"]+/gi, replace: (_match, before: string) => `${before}${REDACTED}` },
];

export interface Redacted {
  text: string;
  count: number;
}

export function redact(text: string): Redacted {
  let count = 0;
  let result = text;
  for (const rule of RULES) {
    result = result.replace(rule.pattern, (match: string, ...rest: unknown[]) => {
      const groups = rest.slice(0, -2).map((group) => (typeof group === 'string' ? group : ''));
      const replacement = rule.replace(match, ...groups);
      if (replacement === match) return match;
      count++;
      return replacement;
    });
  }
  return { text: result, count };
}
