import { readFileSync } from 'node:fs';
import { openApiDocument, openApiText } from '../../../contract/openapi';
import { API_ROUTES } from '../../../contract/routes';
import { OPENAPI_FILE } from '../../../contract/write-openapi';

type Operation = { parameters: { name: string; in: string }[]; requestBody?: unknown; responses: Record<string, unknown> };

describe('docs/openapi.json', () => {
  test('when the zod schemas change, the committed document must be regenerated (npx tsx contract/write-openapi.ts)', () => {
    // Given
    const committed = readFileSync(OPENAPI_FILE, 'utf8');
    // When
    const generated = openApiText();
    // Then
    expect(committed).toBe(generated);
  });

  const operations = API_ROUTES.map((route) => [`${route.method.toUpperCase()} ${route.path}`, route] as const);

  test.each(operations)('when %s is documented, every path parameter, its body and every answer with the error shape are in it', (_name, route) => {
    // Given
    const operation = (openApiDocument().paths as Record<string, Record<string, Operation>>)[route.path][route.method];
    // Then
    expect(operation.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual([...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]));
    expect(operation.requestBody !== undefined).toBe(route.body !== undefined);
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining([String(route.success.status), '400', '403', '429', '500']));
    const successes = [route.success, ...(route.alternatives ?? [])].map((answer) => String(answer.status));
    for (const status of Object.keys(operation.responses).filter((s) => !successes.includes(s))) {
      expect(operation.responses[status]).toMatchObject({ content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
    }
  });
});
