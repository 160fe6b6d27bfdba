/**
 * cdk-nag's AwsSolutions pack over every stack: no finding may stand unless the construct
 * acknowledges that exact rule with a reason (see the list pinned below).
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { acknowledgeGrantWildcards } from '../../lib/nag-acknowledgements';
import { SYNTH_TIMEOUT_MS, blockplane, quietly, withOutdir } from './synth';

const API_FUNCTIONS = [
  'AttachVolume', 'CancelModification', 'CompleteCommand', 'CreateModification', 'CreateVolume', 'DeleteVolume', 'DetachVolume', 'GetAttachment',
  'GetModification', 'GetVolume', 'ListModifications', 'ListVolumes', 'PollCommands', 'RecordHeartbeat', 'RegisterHost', 'ReportCommandProgress', 'ReportReplicaFault', 'ReportUtilization', 'SetVolumePolicy',
];
const DIAGNOSTICS_API_FUNCTIONS = [
  'CreateReport', 'GetKnownIssueOccurrences', 'GetReport', 'ListKnownIssues', 'ListReports', 'ListReviewQueue', 'PutKnownIssue', 'RecordReportFeedback',
];
const DIAGNOSTICS_FUNCTIONS = ['DiagnoseReport', 'FailReport', 'LoadReportRules'];
const RECOVERY_API_FUNCTIONS = ['CreateRecoveryAccess', 'DecideRecovery', 'GetRecovery', 'ListVolumeEvents', 'ReportRecovery'];
const SNAPSHOT_API_FUNCTIONS = ['CreateSnapshot', 'DeleteSnapshot', 'GetSnapshot', 'ListSnapshots', 'ListVolumeSnapshots', 'RequestSnapshotChunkUrls'];
const SNAPSHOT_FUNCTIONS = ['BeginSnapshot', 'CollectSnapshotChunks', 'FinishSnapshot', 'SendSnapshotCommand'];
const AUDIT_API_FUNCTIONS = [
  'CreateComplianceReport', 'GetAlarms', 'GetComplianceReport', 'GetCurrentSpec', 'GetSpecDiff', 'GetSpecVersion', 'GrantWaiver', 'ListWaivers', 'PublishSpecChange', 'PutAlarms', 'RecordAssertions',
];
const AUDIT_FUNCTIONS = ['AuditControlPlane', 'FailComplianceReport', 'LoadSpec', 'RenderComplianceReport'];
const HEALTH_API_FUNCTIONS = [
  'GetHealthComponent', 'GetRemediationSettings', 'GetVolumeHealth', 'HelpPage', 'IngestComments', 'ListDeadLetters', 'ListEvents', 'ListHealthComponents', 'PostComment',
  'PutRemediationSettings', 'PutWebhook', 'RedriveNotice', 'SuggestHelp',
];
const CONSOLE_API_FUNCTIONS = ['ConsoleAsset', 'ConsoleEntry', 'ConsoleFile'];
const TASK_FUNCTIONS = [
  'AdvanceModification', 'BeginFailover', 'FailModification', 'PlaceCopies', 'PlaceReplacementMirror', 'RecordCopyEndpoints', 'ReleasePlacement', 'SendHostCommand', 'SettleVolume',
];

let app: App;
beforeAll(() => {
  app = blockplane().app;
}, SYNTH_TIMEOUT_MS);

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement recorded anywhere in the tree, from construct metadata. */
function acknowledgementsIn(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

/** An acknowledgement with the stack-specific part of its finding (logical ids, export names) replaced by what it names. */
function describeAcknowledgement(acknowledgement: Acknowledgement): string {
  const id = acknowledgement.id
    .replace(/Resource::BlockplaneData:ExportsOutputFnGetAtt(Volumes|Hosts|HostCommands)Table[0-9A-F]{8}Arn[0-9A-F]{8}\/index\/\*/, 'Resource::<$1Table arn>/index/*')
    .replace(/Resource::BlockplaneDiagnostics:ExportsOutputFnGetAttDiagnosticsTable[0-9A-F]{8}Arn[0-9A-F]{8}\/index\/\*/, 'Resource::<DiagnosticsTable arn>/index/*')
    .replace(/Resource::<DiagnosticsTable[0-9A-F]{8}\.Arn>\/index\/\*/, 'Resource::<DiagnosticsTable arn>/index/*')
    .replace(/Resource::BlockplaneRecovery:ExportsOutputFnGetAttRecoveryTable[0-9A-F]{8}Arn[0-9A-F]{8}\/index\/\*/, 'Resource::<RecoveryTable arn>/index/*')
    .replace(/Resource::<RecoveryTable[0-9A-F]{8}\.Arn>\/index\/\*/, 'Resource::<RecoveryTable arn>/index/*')
    .replace(/Resource::BlockplaneSnapshots:ExportsOutputFnGetAttSnapshotsTable[0-9A-F]{8}Arn[0-9A-F]{8}\/index\/\*/, 'Resource::<SnapshotsTable arn>/index/*')
    .replace(/Resource::<SnapshotsTable[0-9A-F]{8}\.Arn>\/index\/\*/, 'Resource::<SnapshotsTable arn>/index/*')
    .replace(/Resource::BlockplaneSnapshots:ExportsOutputFnGetAttSnapshotsBucket[0-9A-F]{8}Arn[0-9A-F]{8}\//, 'Resource::<SnapshotsBucket arn>/')
    .replace(/Resource::<SnapshotsBucket[0-9A-F]{8}\.Arn>\//, 'Resource::<SnapshotsBucket arn>/')
    .replace(/Resource::BlockplaneData:ExportsOutputFnGetAttReportsBucket[0-9A-F]{8}Arn[0-9A-F]{8}\/reports\/\*/, 'Resource::<ReportsBucket arn>/reports/*')
    .replace(/Resource::BlockplaneData:ExportsOutputFnGetAttReportsBucket[0-9A-F]{8}Arn[0-9A-F]{8}\/compliance-reports\/\*/, 'Resource::<ReportsBucket arn>/compliance-reports/*')
    .replace(/Resource::<ConsoleSiteBucket[0-9A-F]{8}\.Arn>\/\*/, 'Resource::<ConsoleBucket arn>/*')
    .replace(/Resource::<([A-Za-z]+)Function[0-9A-F]{8}\.Arn>:\*/, 'Resource::<$1 function arn>:*')
    .replace(
      /Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<RestApi[0-9A-F]{8}>\//,
      'Resource::<RestApi execute-api arn>/',
    );
  return `${acknowledgement.path.replace(/\/Function$/, '')}: ${id}`;
}

describe('cdk-nag AwsSolutions checks', () => {
  test('when the checks run over every Blockplane stack, they find no unacknowledged error or warning', () => {
    // Act
    const report = new AwsSolutionsChecks().validateScope(app);

    // Assess
    const findings = report.violations.map(
      (violation) => `${violation.severity} ${violation.ruleName}: ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
    );
    expect(findings).toEqual([]);
  });

  test('when the app acknowledges a rule, it is one of the reviewed rules and gives a specific reason', () => {
    // Act
    const acknowledgements = acknowledgementsIn(app);

    // Assess
    const lambdaRuntime = (stack: string, functions: string[]) => functions.map((fn) => `${stack}/${fn}: AwsSolutions-L1`);
    const functionVersions = (machine: string, functions: string[], stack = 'BlockplaneWorkflows') =>
      functions.map((fn) => `${stack}/${machine}: AwsSolutions-IAM5[Resource::<${fn} function arn>:*]`);
    expect([...new Set(acknowledgements.map(describeAcknowledgement))].sort()).toEqual(
      [
        // Node.js 22 is the contract's runtime; cdk-nag wants the newest runtime CDK knows (nodejs24.x).
        ...lambdaRuntime('BlockplaneApi', API_FUNCTIONS),
        ...lambdaRuntime('BlockplaneWorkflows', [...TASK_FUNCTIONS, 'SweepSilentHosts', 'EvaluateAutoAdjust']),
        ...lambdaRuntime('BlockplaneApi', DIAGNOSTICS_API_FUNCTIONS),
        ...lambdaRuntime('BlockplaneDiagnostics', DIAGNOSTICS_FUNCTIONS),
        ...lambdaRuntime('BlockplaneApi', HEALTH_API_FUNCTIONS),
        ...lambdaRuntime('BlockplaneHealth', ['DeliverWebhook', 'EvaluateHealth']),
        // Health: the evaluator reads hosts and volumes (and writes volumes for a move); the help page is static and unsigned.
        'BlockplaneHealth/EvaluateHealth: AwsSolutions-IAM5[Resource::<HostsTable arn>/index/*]',
        'BlockplaneHealth/EvaluateHealth: AwsSolutions-IAM5[Resource::<VolumesTable arn>/index/*]',
        'BlockplaneApi/RestApi/Default/help/GET: AwsSolutions-APIG4',
        // Console: static files, unsigned; each function reads objects of the console bucket only,
        // which the deploy fills through CDK's custom-resource provider (putObject per file).
        ...lambdaRuntime('BlockplaneApi', CONSOLE_API_FUNCTIONS),
        ...CONSOLE_API_FUNCTIONS.map((fn) => `BlockplaneApi/${fn}: AwsSolutions-IAM5[Resource::<ConsoleBucket arn>/*]`),
        'BlockplaneApi/RestApi/Default/console/GET: AwsSolutions-APIG4',
        'BlockplaneApi/RestApi/Default/console/{file}/GET: AwsSolutions-APIG4',
        'BlockplaneApi/RestApi/Default/console/assets/{file}/GET: AwsSolutions-APIG4',
        'BlockplaneApi/ConsoleSite/Bucket: AwsSolutions-S1',
        'BlockplaneApi/ConsoleSite: AwsSolutions-IAM5[Resource::<ConsoleBucket arn>/*]',
        'BlockplaneApi/AWS679f53fac002430cb0da5b7982bd2287: AwsSolutions-L1',
        'BlockplaneApi/AWS679f53fac002430cb0da5b7982bd2287: AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        // Diagnostics: each route's table grant covers the diagnostics table's indexes; reports are keys under reports/.
        ...DIAGNOSTICS_API_FUNCTIONS.map((fn) => `BlockplaneApi/${fn}: AwsSolutions-IAM5[Resource::<DiagnosticsTable arn>/index/*]`),
        'BlockplaneApi/CreateReport: AwsSolutions-IAM5[Resource::<ReportsBucket arn>/reports/*]',
        'BlockplaneDiagnostics/DiagnoseReport: AwsSolutions-IAM5[Resource::<ReportsBucket arn>/reports/*]',
        'BlockplaneDiagnostics: AwsSolutions-IAM5[Resource::<DiagnosticsTable arn>/index/*]',
        'BlockplaneDiagnostics/DiagnoseReportWorkflow: AwsSolutions-IAM5[Resource::*]',
        ...functionVersions('DiagnoseReportWorkflow', ['DiagnoseReport', 'FailReport'], 'BlockplaneDiagnostics'),
        'BlockplaneApi/StorageHostRole: AwsSolutions-IAM5[Resource::<RestApi execute-api arn>/v1/GET/reports/*]',
        // Audit: compliance reports are keys under compliance-reports/; hosts read any spec version.
        ...lambdaRuntime('BlockplaneApi', AUDIT_API_FUNCTIONS),
        ...lambdaRuntime('BlockplaneAudit', AUDIT_FUNCTIONS),
        'BlockplaneApi/GetComplianceReport: AwsSolutions-IAM5[Resource::<ReportsBucket arn>/compliance-reports/*]',
        'BlockplaneAudit/RenderComplianceReport: AwsSolutions-IAM5[Resource::<ReportsBucket arn>/compliance-reports/*]',
        // The asserter audits every stack's function roles, listed by their IAM path (docs/audit.md).
        'BlockplaneAudit/AuditControlPlane: AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:iam::<AWS::AccountId>:role/blockplane/functions/*]',
        'BlockplaneAudit/RenderComplianceReportWorkflow: AwsSolutions-IAM5[Resource::*]',
        ...functionVersions('RenderComplianceReportWorkflow', ['FailComplianceReport', 'RenderComplianceReport'], 'BlockplaneAudit'),
        'BlockplaneApi/StorageHostRole: AwsSolutions-IAM5[Resource::<RestApi execute-api arn>/v1/GET/specs/*]',
        'BlockplaneApi/RestApi: AwsSolutions-APIG3',
        'BlockplaneApi/RestApi: AwsSolutions-COG4',
        'BlockplaneApi/RestApi: AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        // The page-token HMAC key: rotating it only invalidates page tokens in flight.
        'BlockplaneApi/PageTokenSecret: AwsSolutions-SMG4',
        // The host routes with a path parameter; POST /hosts has none.
        'BlockplaneApi/StorageHostRole: AwsSolutions-IAM5[Resource::<RestApi execute-api arn>/v1/GET/hosts/*/commands]',
        'BlockplaneApi/StorageHostRole: AwsSolutions-IAM5[Resource::<RestApi execute-api arn>/v1/POST/hosts/*/commands/*/progress]',
        'BlockplaneApi/StorageHostRole: AwsSolutions-IAM5[Resource::<RestApi execute-api arn>/v1/POST/hosts/*/commands/*/result]',
        'BlockplaneApi/StorageHostRole: AwsSolutions-IAM5[Resource::<RestApi execute-api arn>/v1/POST/hosts/*/heartbeat]',
        'BlockplaneApi/StorageHostRole: AwsSolutions-IAM5[Resource::<RestApi execute-api arn>/v1/POST/hosts/*/replica-faults]',
        'BlockplaneApi/CommandPurge/PurgeFinishedCommands: AwsSolutions-L1',
        'BlockplaneApi: AwsSolutions-IAM5[Resource::<HostCommandsTable arn>/index/*]',
        'BlockplaneApi: AwsSolutions-IAM5[Resource::<HostsTable arn>/index/*]',
        'BlockplaneApi: AwsSolutions-IAM5[Resource::<VolumesTable arn>/index/*]',
        'BlockplaneWorkflows/CreateVolume: AwsSolutions-IAM5[Resource::*]',
        ...functionVersions('CreateVolume', ['PlaceCopies', 'RecordCopyEndpoints', 'ReleasePlacement', 'SendHostCommand', 'SettleVolume']),
        'BlockplaneWorkflows/DeleteVolume: AwsSolutions-IAM5[Resource::*]',
        ...functionVersions('DeleteVolume', ['ReleasePlacement', 'SendHostCommand', 'SettleVolume']),
        'BlockplaneWorkflows/Failover: AwsSolutions-IAM5[Resource::*]',
        ...functionVersions('Failover', ['BeginFailover', 'PlaceReplacementMirror', 'RecordCopyEndpoints', 'SendHostCommand', 'SettleVolume']),
        'BlockplaneWorkflows/ModifyVolume: AwsSolutions-IAM5[Resource::*]',
        ...functionVersions('ModifyVolume', ['AdvanceModification', 'FailModification', 'SendHostCommand']),
        'BlockplaneWorkflows: AwsSolutions-IAM5[Resource::<HostCommandsTable arn>/index/*]',
        'BlockplaneWorkflows: AwsSolutions-IAM5[Resource::<HostsTable arn>/index/*]',
        'BlockplaneWorkflows: AwsSolutions-IAM5[Resource::<VolumesTable arn>/index/*]',
        // Recovery (docs/recovery.md): each route's table grant covers the recovery table's byDue index.
        ...lambdaRuntime('BlockplaneApi', RECOVERY_API_FUNCTIONS),
        ...RECOVERY_API_FUNCTIONS.map((fn) => `BlockplaneApi/${fn}: AwsSolutions-IAM5[Resource::<RecoveryTable arn>/index/*]`),
        // The poll route reads a volume's recovery to deliver its admin export's key.
        'BlockplaneApi/PollCommands: AwsSolutions-IAM5[Resource::<RecoveryTable arn>/index/*]',
        'BlockplaneApi/StorageHostRole: AwsSolutions-IAM5[Resource::<RestApi execute-api arn>/v1/POST/hosts/*/recovery-reports]',
        'BlockplaneRecovery/ProcessRecoveryDeadlines: AwsSolutions-L1',
        ...['HostCommands', 'Hosts', 'Recovery', 'Volumes'].map((table) => `BlockplaneRecovery: AwsSolutions-IAM5[Resource::<${table}Table arn>/index/*]`),
        // Snapshots: each route's grant covers the snapshots table's indexes; chunks, manifests and manifest parts are prefixes of one bucket.
        ...lambdaRuntime('BlockplaneApi', SNAPSHOT_API_FUNCTIONS),
        ...lambdaRuntime('BlockplaneSnapshots', SNAPSHOT_FUNCTIONS),
        ...[...SNAPSHOT_API_FUNCTIONS, 'CreateVolume'].map((fn) => `BlockplaneApi/${fn}: AwsSolutions-IAM5[Resource::<SnapshotsTable arn>/index/*]`),
        ...['RequestSnapshotChunkUrls'].flatMap((fn) => ['chunks', 'manifest-parts', 'manifests'].map((prefix) => `BlockplaneApi/${fn}: AwsSolutions-IAM5[Resource::<SnapshotsBucket arn>/${prefix}/*]`)),
        ...['CollectSnapshotChunks', 'FinishSnapshot'].flatMap((fn) => ['chunks', 'manifest-parts', 'manifests'].map((prefix) => `BlockplaneSnapshots/${fn}: AwsSolutions-IAM5[Resource::<SnapshotsBucket arn>/${prefix}/*]`)),
        'BlockplaneApi/StorageHostRole: AwsSolutions-IAM5[Resource::<RestApi execute-api arn>/v1/POST/hosts/*/snapshot-chunks]',
        'BlockplaneSnapshots/CollectSnapshotChunksWorkflow: AwsSolutions-IAM5[Resource::*]',
        ...functionVersions('CollectSnapshotChunksWorkflow', ['CollectSnapshotChunks'], 'BlockplaneSnapshots'),
        'BlockplaneSnapshots/SnapshotVolumeWorkflow: AwsSolutions-IAM5[Resource::*]',
        ...functionVersions('SnapshotVolumeWorkflow', ['BeginSnapshot', 'FinishSnapshot', 'SendSnapshotCommand'], 'BlockplaneSnapshots'),
        'BlockplaneSnapshots/SnapshotsAccessLogsBucket: CloudFormation-Validate::W3045',
        'BlockplaneSnapshots: AwsSolutions-IAM5[Resource::<HostCommandsTable arn>/index/*]',
        'BlockplaneSnapshots: AwsSolutions-IAM5[Resource::<SnapshotsTable arn>/index/*]',
        'BlockplaneSnapshots: AwsSolutions-IAM5[Resource::<VolumesTable arn>/index/*]',
      ].sort(),
    );
    for (const { reason } of acknowledgements) expect(reason.length).toBeGreaterThan(60);
  });

  test('when a stack holds a bucket open to the public, reachable without TLS and unlogged, the checks fail synthesis', () => {
    // Prepare
    const build = (outdir: string) => {
      const throwaway = new App({ outdir });
      const stack = new Stack(throwaway, 'Throwaway');
      new s3.Bucket(stack, 'Open', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ACLS_ONLY });
      Validations.of(throwaway).addPlugins(new AwsSolutionsChecks(throwaway));
      return throwaway;
    };

    // Act
    const failure = withOutdir((outdir) => {
      try {
        quietly(() => build(outdir).synth());
        return undefined;
      } catch (error) {
        return error;
      }
    });

    // Assess
    expect(failure).toBeInstanceOf(Error);
    const message = (failure as Error).message;
    for (const rule of ['AwsSolutions-S1', 'AwsSolutions-S2', 'AwsSolutions-S10']) {
      expect(message).toContain(`Throwaway/Open/Resource`);
      expect(message).toContain(`'AwsSolutions::${rule}'`);
    }
  });
});

describe('acknowledgeGrantWildcards', () => {
  test('when a role reads two tables with indexes and one is acknowledged, the other index wildcard is still reported', () => {
    // Prepare
    const build = (outdir: string) => {
      const throwaway = new App({ outdir });
      const tables = new Stack(throwaway, 'Tables');
      const indexed = (id: string) => {
        const table = new dynamodb.Table(tables, id, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
        table.addGlobalSecondaryIndex({ indexName: 'byOther', partitionKey: { name: 'other', type: dynamodb.AttributeType.STRING } });
        return table;
      };
      const acknowledged = indexed('Acknowledged');
      const forgotten = indexed('Forgotten');
      const consumer = new Stack(throwaway, 'Consumer');
      const role = new iam.Role(consumer, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
      acknowledged.grantReadData(role);
      forgotten.grantReadData(role);
      acknowledgeGrantWildcards(consumer, { arns: [acknowledged.tableArn], suffix: '/index/*', reason: 'test' });
      return throwaway;
    };

    // Act
    const rules = withOutdir((outdir) => {
      const throwaway = build(outdir);
      quietly(() => throwaway.synth());
      return new AwsSolutionsChecks().validateScope(throwaway).violations.map((violation) => violation.ruleName);
    });

    // Assess
    expect(rules.filter((rule) => rule.startsWith('AwsSolutions-IAM5'))).toEqual([
      expect.stringMatching(/^AwsSolutions-IAM5\[Resource::Tables:ExportsOutputFnGetAttForgotten[0-9A-F]{8}Arn[0-9A-F]{8}\/index\/\*\]$/),
    ]);
  });
});
