/**
 * The key-sealing KMS key (docs/security.md, "Where keys live"): one symmetric, rotating,
 * retained key; only the functions that mint keys may encrypt with it and only those that hand
 * keys out may decrypt; no function may do both or anything else with it.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { SYNTH_TIMEOUT_MS, blockplane, resourceNamed } from './synth';

let templates: Record<'data' | 'api' | 'workflows', Template>;
beforeAll(() => {
  const { data, api, workflows } = blockplane();
  templates = { data, api, workflows };
}, SYNTH_TIMEOUT_MS);

/** Every KMS action any function role of `stack` holds, per role logical id. */
function kmsActionsByRole(template: Template): Record<string, string[]> {
  const byRole: Record<string, Set<string>> = {};
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy')) as any[]) {
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      const actions = [statement.Action].flat().filter((action: string) => action.startsWith('kms:'));
      if (actions.length === 0) continue;
      for (const role of policy.Properties.Roles) {
        byRole[role.Ref] ??= new Set();
        for (const action of actions) byRole[role.Ref].add(action);
      }
    }
  }
  return Object.fromEntries(Object.entries(byRole).map(([role, actions]) => [role.replace(/Role[0-9A-F]{8}$/, ''), [...actions].sort()]));
}

describe('BlockplaneData key-sealing key', () => {
  test('when the stack is synthesized, it has one symmetric KMS key with yearly rotation, retained on delete, and outputs its ARN', () => {
    // Act
    const keys = templates.data.findResources('AWS::KMS::Key');
    const key = resourceNamed(templates.data, 'AWS::KMS::Key', 'KeySealingKey');

    // Assess
    expect(Object.keys(keys)).toHaveLength(1);
    expect(key.resource.Properties).toMatchObject({ EnableKeyRotation: true });
    expect(key.resource.Properties.KeySpec ?? 'SYMMETRIC_DEFAULT').toBe('SYMMETRIC_DEFAULT');
    expect(key.resource.DeletionPolicy).toBe('Retain');
    expect(templates.data.findOutputs('KeySealingKeyArn').KeySealingKeyArn.Value).toEqual({ 'Fn::GetAtt': [key.id, 'Arn'] });
  });
});

describe('who may seal and open keys', () => {
  test('when the api stack is synthesized, attach may only encrypt, get-attachment and poll may only decrypt, and no other route touches KMS', () => {
    // Act
    const actions = kmsActionsByRole(templates.api);

    // Assess
    // RequestSnapshotChunkUrls uses the snapshots bucket's own key (SSE-KMS), never the key-sealing key (test/infra/grants.test.ts).
    expect(actions).toEqual({
      AttachVolume: ['kms:Encrypt'],
      CreateRecoveryAccess: ['kms:Encrypt'],
      GetAttachment: ['kms:Decrypt'],
      PollCommands: ['kms:Decrypt'],
      RequestSnapshotChunkUrls: ['kms:Decrypt', 'kms:GenerateDataKey'],
    });
  });

  test('when the workflows stack is synthesized, only the tasks that mint keys may encrypt, and no task may decrypt', () => {
    // Act
    const actions = kmsActionsByRole(templates.workflows);

    // Assess
    expect(actions).toEqual({ PlaceCopies: ['kms:Encrypt'], BeginFailover: ['kms:Encrypt'], PlaceReplacementMirror: ['kms:Encrypt'] });
  });

  test('when the key policy is synthesized, it grants no function role directly (grants live on the roles)', () => {
    // Act
    const { Properties } = resourceNamed(templates.data, 'AWS::KMS::Key', 'KeySealingKey').resource;

    // Assess
    expect(JSON.stringify(Properties.KeyPolicy)).not.toMatch(/Role/);
  });
});
