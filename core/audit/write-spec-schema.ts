import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { SpecDocumentSchema } from './spec';

/** The spec document's JSON Schema (docs/spec.schema.json), generated from SpecDocumentSchema. */
export function specJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://blockplane.dev/spec.schema.json',
    title: 'Blockplane specification',
    description: 'What each component type must do: clauses with a check, a severity and a deadline (docs/audit.md).',
    ...z.toJSONSchema(SpecDocumentSchema, { io: 'input' }),
  };
}

if (require.main === module) {
  const out = path.join(__dirname, '../../docs/spec.schema.json');
  fs.writeFileSync(out, JSON.stringify(specJsonSchema(), null, 2) + '\n');
  process.stdout.write(`wrote ${out}\n`);
}
