import * as fs from 'node:fs';
import * as path from 'node:path';
import { SpecDocumentSchema, clausesFor } from '../../../../core/audit/spec';
import { specJsonSchema } from '../../../../core/audit/write-spec-schema';

const root = path.join(__dirname, '../../../..');
const firstSpec = JSON.parse(fs.readFileSync(path.join(root, 'spec/blockplane.json'), 'utf8'));

describe('the specification', () => {
  it('when the first spec is parsed, it holds every clause the issue lists', () => {
    const spec = SpecDocumentSchema.parse(firstSpec);
    expect(spec.clauses.map((clause) => clause.id).sort()).toEqual([
      'bucket-blocks-public-access', 'bucket-denies-non-tls', 'copy-export-requires-tls-psk', 'copy-file-o-direct',
      'copy-psk-file-mode-0600', 'copy-throttle-equals-committed-iops', 'function-role-only-its-grants', 'host-agent-version-supported',
      'host-disk-mount-options', 'host-qemu-version-supported', 'table-encrypted', 'table-pitr-enabled', 'volume-two-in-sync-copies',
    ]);
  });

  it('when docs/spec.schema.json is compared with the zod schema, it is the generated one', () => {
    const committed = JSON.parse(fs.readFileSync(path.join(root, 'docs/spec.schema.json'), 'utf8'));
    expect(committed).toEqual(JSON.parse(JSON.stringify(specJsonSchema())));
  });

  it('when two clauses share an id, it refuses the document', () => {
    expect(SpecDocumentSchema.safeParse({ clauses: [firstSpec.clauses[0], firstSpec.clauses[0]] }).success).toBe(false);
  });

  it('when an agent asks for its component types, it gets only their clauses', () => {
    const spec = SpecDocumentSchema.parse(firstSpec);
    const types = new Set(clausesFor(spec, ['volume-copy']).map((clause) => clause.componentType));
    expect([...types]).toEqual(['volume-copy']);
  });
});
