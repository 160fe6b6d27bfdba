/**
 * Least privilege: every function's role holds exactly the grants docs/control-plane.md lists
 * for it ("Functions"), plus writing its own log group, and nothing else.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { SYNTH_TIMEOUT_MS, blockplane, resourceNamed } from './synth';

const READ = [
  'dynamodb:BatchGetItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
  'dynamodb:GetItem',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:Query',
  'dynamodb:Scan',
];
const READ_WRITE = [...READ, 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort();
const START = ['states:StartExecution'];
const TASK_RESPONSE = ['states:SendTaskFailure', 'states:SendTaskHeartbeat', 'states:SendTaskSuccess'];
const OWN_LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const SECRET_READ = ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'];
const SEAL = ['kms:Encrypt'];
const OPEN = ['kms:Decrypt'];

/** What a policy may touch, by name: the contract's tables and state machines, and the function's own log group. */
type Target =
  | 'volumes' | 'hosts' | 'commands' | 'quotas' | 'create-volume' | 'delete-volume' | 'fail-over' | 'modify-volume' | 'page-token-secret' | 'key-sealing-key' | 'own-logs'
  | 'snapshots' | 'snapshots-bucket' | 'snapshots-key' | 'snapshot-volume' | 'collect-chunks' | 'recoveries';
type Grants = Partial<Record<Target, string[]>>;

/** The contract's "grants" column, per function (construct id in its stack). */
const CONTRACT: Record<'api' | 'workflows', Record<string, Grants>> = {
  api: {
    // Every customer route counts its tenant's requests (quotas).
    // A restore reads the snapshot it names; GET reads the fill commands' progress.
    CreateVolume: { volumes: READ_WRITE, 'create-volume': START, snapshots: READ, quotas: READ_WRITE },
    GetVolume: { volumes: READ, commands: READ, quotas: READ_WRITE },
    ListVolumes: { volumes: READ, 'page-token-secret': SECRET_READ, quotas: READ_WRITE },
    DeleteVolume: { volumes: READ_WRITE, 'delete-volume': START, quotas: READ_WRITE },
    AttachVolume: { volumes: READ_WRITE, commands: READ_WRITE, 'key-sealing-key': SEAL, quotas: READ_WRITE },
    GetAttachment: { volumes: READ, 'key-sealing-key': OPEN, quotas: READ_WRITE },
    DetachVolume: { volumes: READ_WRITE, commands: READ_WRITE, quotas: READ_WRITE },
    RegisterHost: { hosts: READ_WRITE, volumes: READ, commands: READ_WRITE, 'fail-over': START },
    RecordHeartbeat: { hosts: READ_WRITE, volumes: READ, 'fail-over': START },
    // An admin export's key is delivered from the volume's recovery (docs/recovery.md).
    PollCommands: { hosts: READ, commands: READ_WRITE, volumes: READ, recoveries: READ, 'key-sealing-key': OPEN },
    CompleteCommand: {
      hosts: READ,
      commands: READ_WRITE,
      'create-volume': TASK_RESPONSE,
      'delete-volume': TASK_RESPONSE,
      'fail-over': TASK_RESPONSE,
      'modify-volume': TASK_RESPONSE,
      'snapshot-volume': TASK_RESPONSE,
    },
    ReportCommandProgress: {
      hosts: READ,
      commands: READ_WRITE,
      'create-volume': TASK_RESPONSE,
      'delete-volume': TASK_RESPONSE,
      'fail-over': TASK_RESPONSE,
      'modify-volume': TASK_RESPONSE,
      'snapshot-volume': TASK_RESPONSE,
    },
    CreateModification: { volumes: READ_WRITE, hosts: READ, 'modify-volume': START, quotas: READ_WRITE },
    CreateSnapshot: { snapshots: READ_WRITE, volumes: READ, 'snapshot-volume': START, quotas: READ_WRITE },
    GetSnapshot: { snapshots: READ, quotas: READ_WRITE },
    ListSnapshots: { snapshots: READ, volumes: READ, 'page-token-secret': SECRET_READ, quotas: READ_WRITE },
    ListVolumeSnapshots: { snapshots: READ, volumes: READ, 'page-token-secret': SECRET_READ, quotas: READ_WRITE },
    DeleteSnapshot: { snapshots: READ_WRITE, 'collect-chunks': START, quotas: READ_WRITE },
    // Signs PUTs (one key, checksum bound) and GETs of chunks; keeps manifest parts; SSE-KMS needs a data key to write.
    RequestSnapshotChunkUrls: {
      snapshots: READ_WRITE,
      volumes: READ,
      hosts: READ,
      'snapshots-bucket': ['s3:GetObject', 's3:ListBucket', 's3:PutObject'],
      'snapshots-key': ['kms:Decrypt', 'kms:GenerateDataKey'],
    },
    ListModifications: { volumes: READ, commands: READ, 'page-token-secret': SECRET_READ, quotas: READ_WRITE },
    GetModification: { volumes: READ, commands: READ, quotas: READ_WRITE },
    CancelModification: { volumes: READ_WRITE, quotas: READ_WRITE },
    SetVolumePolicy: { volumes: READ_WRITE, quotas: READ_WRITE },
    ReportUtilization: { volumes: READ_WRITE, quotas: READ_WRITE },
    CommandPurgePurgeFinishedCommands: { commands: READ_WRITE },
  },
  workflows: {
    PlaceCopies: { volumes: READ_WRITE, hosts: READ_WRITE, 'key-sealing-key': SEAL },
    SendHostCommand: { commands: READ_WRITE },
    SettleVolume: { volumes: READ_WRITE },
    ReleasePlacement: { volumes: READ_WRITE, hosts: READ_WRITE, commands: READ_WRITE },
    RecordCopyEndpoints: { volumes: READ_WRITE },
    BeginFailover: { volumes: READ_WRITE, hosts: READ_WRITE, commands: READ_WRITE, 'key-sealing-key': SEAL },
    PlaceReplacementMirror: { volumes: READ_WRITE, hosts: READ_WRITE, commands: READ_WRITE, 'key-sealing-key': SEAL },
    AdvanceModification: { volumes: READ_WRITE, hosts: READ_WRITE, commands: READ_WRITE },
    FailModification: { volumes: READ_WRITE, hosts: READ_WRITE, commands: READ_WRITE },
    EvaluateAutoAdjust: { volumes: READ_WRITE, hosts: READ, 'modify-volume': START },
  },
};

let templates: Record<'api' | 'workflows', Template>;
beforeAll(() => {
  const { api, workflows } = blockplane();
  templates = { api, workflows };
}, SYNTH_TIMEOUT_MS);

/** Names the thing a policy resource points at; a reference to anything else fails the test. */
function targetOf(resource: unknown, functionId: string): Target {
  const text = JSON.stringify(resource);
  const known: [RegExp, Target][] = [
    [/ExportsOutputFnGetAttVolumesTable/, 'volumes'],
    [/ExportsOutputFnGetAttHostsTable/, 'hosts'],
    [/ExportsOutputFnGetAttHostCommandsTable/, 'commands'],
    [/ExportsOutputFnGetAttTenantQuotasTable/, 'quotas'],
    [/ExportsOutputRefCreateVolumeStateMachine/, 'create-volume'],
    [/ExportsOutputRefDeleteVolumeStateMachine/, 'delete-volume'],
    [/ExportsOutputRefFailoverStateMachine/, 'fail-over'],
    [/ExportsOutputRefModifyVolumeStateMachine|^\{"Ref":"ModifyVolumeStateMachine[0-9A-F]{8}"\}$/, 'modify-volume'],
    [/^\{"Ref":"PageTokenSecret[0-9A-F]{8}"\}$/, 'page-token-secret'],
    [/ExportsOutputFnGetAttKeySealingKey/, 'key-sealing-key'],
    [/ExportsOutputFnGetAttSnapshotsTable/, 'snapshots'],
    [/ExportsOutputFnGetAttSnapshotsBucket/, 'snapshots-bucket'],
    [/ExportsOutputFnGetAttSnapshotsKey/, 'snapshots-key'],
    [/ExportsOutputRefSnapshotVolumeWorkflowStateMachine/, 'snapshot-volume'],
    [/ExportsOutputRefCollectSnapshotChunksWorkflowStateMachine/, 'collect-chunks'],
    [/ExportsOutputFnGetAttRecoveryTable/, 'recoveries'],
    [new RegExp(`^\\{"Fn::GetAtt":\\["${functionId}Logs[0-9A-F]{8}","Arn"\\]\\}$`), 'own-logs'],
  ];
  const match = known.find(([pattern]) => pattern.test(text));
  if (!match) throw new Error(`${functionId} may act on an unexpected resource: ${text}`);
  return match[1];
}

/** Actions per target over every policy attached to the function's role. */
function grantsOf(template: Template, functionId: string): Grants {
  const role = resourceNamed(template, 'AWS::IAM::Role', `${functionId}Role`);
  const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy: any) =>
    policy.Properties.Roles.some((ref: any) => ref.Ref === role.id),
  );
  const grants: Record<string, Set<string>> = {};
  for (const policy of policies as any[]) {
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      expect(statement.Effect).toBe('Allow');
      const actions: string[] = [statement.Action].flat();
      for (const resource of [statement.Resource].flat()) {
        const target = targetOf(resource, functionId);
        grants[target] ??= new Set();
        for (const action of actions) grants[target].add(action);
      }
    }
  }
  return Object.fromEntries(Object.entries(grants).map(([target, actions]) => [target, [...actions].sort()]));
}

describe.each(['api', 'workflows'] as const)('function grants in the %s stack', (stack) => {
  test.each(Object.entries(CONTRACT[stack]))(
    'when %s is synthesized, its role holds exactly the contract grants and may write its own logs',
    (functionId, contract) => {
      // Act
      const grants = grantsOf(templates[stack], functionId);

      // Assess
      const expected = Object.fromEntries(Object.entries(contract).map(([target, actions]) => [target, [...actions].sort()]));
      expect(grants).toEqual({ ...expected, 'own-logs': OWN_LOGS });
    },
  );

  test.each(Object.keys(CONTRACT[stack]))(
    'when %s is synthesized, its role has no AWS managed policy and trusts only Lambda',
    (functionId) => {
      // Act
      const role = resourceNamed(templates[stack], 'AWS::IAM::Role', `${functionId}Role`).resource;

      // Assess
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
    },
  );
});

test("when GetVolume is synthesized, it can write no table but its tenants' request counters, and touch no state machine", () => {
  // Act
  const { quotas: _quotas, ...grants } = grantsOf(templates.api, 'GetVolume');
  const actions = Object.values(grants).flat();

  // Assess
  expect(actions).not.toContain('dynamodb:PutItem');
  expect(actions.filter((action) => action.startsWith('states:'))).toEqual([]);
});
