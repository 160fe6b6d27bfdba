import { Option } from '@commander-js/extra-typings';
import { z } from 'zod';
import { UsageError } from './errors';

/**
 * Command-line options derived from a route's request schema (the core's zod schema, the same
 * one the API validates with): one `--kebab-name` per top-level field, typed from the field's
 * JSON Schema (integers and numbers parsed, booleans as flags, enums as choices, objects and
 * arrays as JSON), and the values read back into a request that the schema then checks.
 */
interface JsonSchema {
  readonly type?: string | readonly string[];
  readonly enum?: readonly unknown[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly description?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly format?: string;
  readonly default?: unknown;
}

/** Formats whose name says more to a reader than their regular expression does. */
const FORMAT_NAMES: Readonly<Record<string, string>> = {
  'date-time': 'an ISO 8601 date-time such as 2026-12-02T13:00:00Z',
  date: 'an ISO 8601 date such as 2026-12-02',
  uri: 'a URL',
  email: 'an e-mail address',
};

export interface FieldOption {
  readonly field: string;
  readonly flag: string;
  readonly kind: 'string' | 'integer' | 'number' | 'boolean' | 'json';
  readonly required: boolean;
  readonly option: Option;
}

/** sizeGiB → size-gib, maxUtilizationPercent → max-utilization-percent. */
export const kebab = (name: string): string => name.replace(/GiB/g, 'Gib').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

function describe(field: JsonSchema, kind: FieldOption['kind'], required: boolean): string {
  const parts = [required ? 'required' : undefined, field.description];
  if (kind === 'json') parts.push('as JSON');
  const maximum = field.maximum !== undefined && field.maximum < Number.MAX_SAFE_INTEGER ? field.maximum : undefined;
  if (field.minimum !== undefined || maximum !== undefined) parts.push(`${field.minimum ?? ''}..${maximum ?? ''}`);
  const format = field.format === undefined ? undefined : FORMAT_NAMES[field.format];
  if (format) parts.push(format);
  else if (field.pattern) parts.push(`matching ${field.pattern}`);
  return parts.filter(Boolean).join(', ');
}

function kindOf(field: JsonSchema): FieldOption['kind'] {
  const type = Array.isArray(field.type) ? field.type.find((t) => t !== 'null') : field.type;
  if (type === 'integer' || type === 'number' || type === 'boolean' || type === 'string') return type;
  return 'json';
}

/** The options for the object schema's fields; none when the schema is not an object. */
export function fieldOptions(schema: z.ZodType): FieldOption[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  if (json.type !== 'object' || !json.properties) return [];
  const required = new Set(json.required ?? []);
  return Object.entries(json.properties).map(([field, property]) => {
    const kind = kindOf(property);
    const flag = `--${kebab(field)}`;
    const option = new Option(kind === 'boolean' ? flag : `${flag} <${kind === 'json' ? 'json' : kind === 'string' ? 'value' : 'n'}>`, describe(property, kind, required.has(field)));
    if (property.enum) option.choices(property.enum.map(String));
    return { field, flag, kind, required: required.has(field), option };
  });
}

function convert(option: FieldOption, raw: unknown): unknown {
  if (option.kind === 'boolean' || typeof raw !== 'string') return raw;
  if (option.kind === 'integer' || option.kind === 'number') {
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) throw new UsageError(`${option.flag} must be a number, got ${JSON.stringify(raw)}`);
    return value;
  }
  if (option.kind === 'json') {
    try {
      return JSON.parse(raw);
    } catch {
      throw new UsageError(`${option.flag} must be JSON, got ${JSON.stringify(raw)}`);
    }
  }
  return raw;
}

/**
 * The request the options describe: `--body` JSON (when given) with each field option on top.
 * `asStrings` keeps values as the strings a query string carries.
 */
export function requestFrom(options: readonly FieldOption[], values: Record<string, unknown>, body?: string, asStrings = false): Record<string, unknown> {
  let request: Record<string, unknown> = {};
  if (body !== undefined) {
    try {
      request = JSON.parse(body) as Record<string, unknown>;
    } catch {
      throw new UsageError(`--body must be a JSON object, got ${JSON.stringify(body)}`);
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) throw new UsageError('--body must be a JSON object');
  }
  for (const option of options) {
    const raw = values[option.option.attributeName()];
    if (raw === undefined) continue;
    request[option.field] = asStrings ? String(raw) : convert(option, raw);
  }
  return request;
}

/** Checks `value` with `schema`; a failure is a usage error naming each option at fault. */
export function checked(schema: z.ZodType, value: unknown, what: string): unknown {
  const result = schema.safeParse(value);
  if (result.success) return value;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path[0];
    return `${typeof field === 'string' ? `--${kebab(field)}${issue.path.length > 1 ? `.${issue.path.slice(1).join('.')}` : ''}` : what}: ${issue.message}`;
  });
  throw new UsageError(problems.join('; '));
}
