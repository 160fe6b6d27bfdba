import { z } from 'zod';
import { ErrorResponseSchema, responseSchemas } from './responses';
import { API_ROUTES, type ApiRoute } from './routes';

type JsonSchema = Record<string, unknown>;

/** Errors any route can answer, from its handler or from API Gateway (docs/api.md, "Errors"). */
const COMMON_ERRORS: Readonly<Record<number, string>> = {
  400: 'The body, path or query fails its schema, or the route takes no body or query and got one',
  403: "Unsigned or badly signed (API Gateway), or a caller of the wrong kind: a host on a customer route, a customer on a host route, a host id bound to another principal",
  429: "Throttled by API Gateway (each route's rate), or, on customer routes, over the tenant's per-second limit (TooManyRequests, Retry-After); retry with backoff",
  500: 'An internal failure (never the answer to bad input)',
  502: 'API Gateway could not use the function answer',
  504: 'The function did not answer in time (API Gateway)',
};

const ROUTE_ERRORS: Readonly<Record<number, string>> = {
  404: 'No such volume (including another tenant\'s), attachment, host or command',
  409: 'The state does not allow it: clientToken reused with other parameters, volume in use, limit reached, or a concurrent change (retry)',
  413: 'The body is over 64 KiB',
};

/** The OpenAPI tag of each kind of caller. */
const TAGS: Readonly<Record<ApiRoute['caller'], string>> = { customer: 'volumes', host: 'hosts', 'customer-or-host': 'reports', operator: 'operators', 'host-or-operator': 'audit' };

const COMPONENT_URI = (id: string) => `#/components/schemas/${id}`;

function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

/** A request schema as the caller writes it (before zod's defaults and transforms). */
function inputSchema(schema: z.ZodType): JsonSchema {
  return withoutDialect(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema);
}

function responseRef(schema: z.ZodType): JsonSchema {
  const id = responseSchemas.get(schema)?.id;
  if (!id) throw new Error('every response schema is registered in responseSchemas');
  return { $ref: COMPONENT_URI(id) };
}

function parametersOf(route: ApiRoute): JsonSchema[] {
  const path = Object.entries(route.pathParameters ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema: inputSchema(schema) }));
  const query = Object.entries(route.query?.shape ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: !(schema as z.ZodType).safeParse(undefined).success,
    schema: inputSchema(schema as z.ZodType),
  }));
  return [...path, ...query];
}

function responsesOf(route: ApiRoute): JsonSchema {
  const contentTypeOf = (answer: { readonly contentType?: string }): string => answer.contentType ?? 'application/json';
  const error = (description: string) => ({ description, content: { 'application/json': { schema: responseRef(ErrorResponseSchema) } } });
  const statuses = [...new Set([...route.errors, ...Object.keys(COMMON_ERRORS).map(Number)])].sort((a, b) => a - b);
  return {
    ...Object.fromEntries(
      [route.success, ...(route.alternatives ?? [])].map((answer) => [
        answer.status,
        { description: answer.description, content: { [contentTypeOf(answer)]: { schema: responseRef(answer.schema) } } },
      ]),
    ),
    ...Object.fromEntries(statuses.map((status) => [status, error(COMMON_ERRORS[status] ?? ROUTE_ERRORS[status])])),
  };
}

function operationOf(route: ApiRoute): JsonSchema {
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [TAGS[route.caller]],
    'x-blockplane-caller': route.caller,
    ...(route.unsigned ? { security: [] } : {}),
    parameters: parametersOf(route),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: inputSchema(route.body) } } } } : {}),
    responses: responsesOf(route),
  };
}

/** The OpenAPI 3.1 document of the HTTP API, from the zod schemas the handlers parse with and answer by. */
export function openApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of API_ROUTES) (paths[route.path] ??= {})[route.method] = operationOf(route);
  const { schemas } = z.toJSONSchema(responseSchemas, { uri: COMPONENT_URI, unrepresentable: 'any' }) as { schemas: Record<string, JsonSchema> };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Blockplane API',
      version: '1',
      description:
        'Elastic replicated block storage. Every call is SigV4-signed for execute-api; customers call the volume routes, ' +
        'storage hosts the host routes (docs/api.md, docs/host-commands.md). Generated from the zod schemas by ' +
        '`npx tsx contract/write-openapi.ts`; do not edit by hand.',
    },
    servers: [{ url: 'https://{apiId}.execute-api.{region}.amazonaws.com/v1', variables: { apiId: { default: 'api' }, region: { default: 'us-east-1' } } }],
    security: [{ sigv4: [] }],
    paths,
    components: {
      securitySchemes: {
        sigv4: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'AWS Signature Version 4 for the execute-api service' },
      },
      schemas: Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, withoutDialect(schema)])),
    },
  };
}

/** The document as docs/openapi.json holds it. */
export function openApiText(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}
