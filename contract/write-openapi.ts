import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiText } from './openapi';

/** Writes docs/openapi.json from the zod schemas: `npx tsx contract/write-openapi.ts`. */
export const OPENAPI_FILE = join(__dirname, '..', 'docs', 'openapi.json');

if (require.main === module) {
  writeFileSync(OPENAPI_FILE, openApiText());
  process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
}
