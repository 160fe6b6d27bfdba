import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { AUDIT_ALARM_DETAIL_TYPE, AUDIT_EVENT_SOURCE } from '../adapters/eventbridge-alarm-publisher';
import { SpecDocumentSchema, type SpecDocument } from '../core/audit/spec';
import { AslStateMachine } from './asl-state-machine';
import { BlockplaneFunction, FUNCTION_ROLE_PATH } from './blockplane-function';
import { acknowledgeGrantWildcards } from './nag-acknowledgements';
import { REPO_ROOT } from './repo-paths';

export interface AuditStackProps extends StackProps {
  /** Where rendered compliance reports go (`compliance-reports/<reportId>/report.<format>`). */
  readonly reportsBucket: s3.IBucket;
  /** The volumes the control-plane asserter reads (`volume-two-in-sync-copies`). */
  readonly volumesTable: dynamodb.ITable;
  /**
   * Tables the control-plane asserter checks for encryption and PITR, besides this stack's own.
   * @default - only this stack's tables
   */
  readonly auditedTables?: readonly dynamodb.ITable[];
  /**
   * Buckets it checks for public access and TLS, besides the reports bucket.
   * @default - only the reports bucket
   */
  readonly auditedBuckets?: readonly s3.IBucket[];
  /**
   * Principals whose ARN starts with this are operators (spec changes, waivers, alarms, reports).
   * @default - IAM users under the path `/blockplane-operators/` of the deploying account
   */
  readonly operatorPrincipalArnPrefix?: string;
  /**
   * How often the control-plane asserter runs (and the fleet is evaluated for SILENT and thresholds).
   * @default Duration.minutes(1)
   */
  readonly assertionInterval?: Duration;
}

/** The repository spec (spec/blockplane.json), validated at synthesis: a bad clause fails the deploy before it starts. */
export function repositorySpec(file = path.join(REPO_ROOT, 'spec/blockplane.json')): SpecDocument {
  const parsed = SpecDocumentSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`spec/blockplane.json is not a valid spec: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** Why the audit functions may reach `<reports bucket arn>/compliance-reports/*`. */
export const FUNCTION_ROLES_REASON =
  'the asserter audits every Blockplane function role of every stack, found by listing the roles under their IAM path ' +
  '(FUNCTION_ROLE_PATH); it may list and read those roles\' policies only, nothing outside the path and no write';

export const COMPLIANCE_REPORT_KEYS_REASON =
  'each compliance report is one object compliance-reports/<reportId>/report.<format> whose id is minted per request, so the ' +
  'grant names the compliance-reports/ prefix of this one bucket (s3:PutObject to store, s3:GetObject to presign downloads), nothing wider';

/**
 * Dynamic specification auditing (docs/audit.md): the specs table (versions, waivers, alarms,
 * report requests) and the assertions table (history and latest), the deploy-time loader of
 * spec/blockplane.json, the scheduled control-plane asserter and fleet evaluation, the
 * render-compliance-report workflow, and the alarm path (EventBridge rule → operators' topic).
 * The API routes live in BlockplaneApi (`auditRoutes`).
 */
export class AuditStack extends Stack {
  readonly specsTable: dynamodb.ITable;
  readonly assertionsTable: dynamodb.ITable;
  readonly reportsBucket: s3.IBucket;
  readonly renderReportStateMachine: sfn.IStateMachine;
  readonly operatorPrincipalArnPrefix: string;
  /** The operators' notices: every audit alarm, through the EventBridge rule. */
  readonly operatorNotices: sns.ITopic;
  /** The default event bus ARN the alarm publishers put events on. */
  readonly eventBusArn: string;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { reportsBucket, volumesTable } = props;
    this.reportsBucket = reportsBucket;
    this.operatorPrincipalArnPrefix = props.operatorPrincipalArnPrefix ?? `arn:${this.partition}:iam::${this.account}:user/blockplane-operators/`;
    this.eventBusArn = `arn:${this.partition}:events:${this.region}:${this.account}:event-bus/default`;

    const table = (tableId: string) =>
      new dynamodb.Table(this, tableId, {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        timeToLiveAttribute: 'expiresAt',
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        removalPolicy: RemovalPolicy.RETAIN,
      });
    const specsTable = table('SpecsTable');
    const assertionsTable = table('AssertionsTable');
    this.specsTable = specsTable;
    this.assertionsTable = assertionsTable;

    const environment = {
      SPECS_TABLE: specsTable.tableName,
      ASSERTIONS_TABLE: assertionsTable.tableName,
      REPORTS_BUCKET: reportsBucket.bucketName,
    };

    const loader = new BlockplaneFunction(this, 'LoadSpec', {
      entry: 'lambdas/tasks/load-first-spec.ts',
      description: 'Deploy step: publishes spec/blockplane.json as the next spec version when it differs from the current one',
      timeout: Duration.seconds(60),
      environment,
    });
    specsTable.grantReadWriteData(loader);
    new CustomResource(this, 'RepositorySpec', {
      serviceToken: loader.function.functionArn,
      resourceType: 'Custom::BlockplaneSpec',
      properties: { Spec: JSON.stringify(repositorySpec()) },
    });

    const render = new BlockplaneFunction(this, 'RenderComplianceReport', {
      entry: 'lambdas/tasks/render-compliance-report.ts',
      description: 'Evaluates a compliance report window and stores it as json, csv or html under compliance-reports/',
      timeout: Duration.seconds(120),
      memorySizeMiB: 1024,
      environment,
    });
    specsTable.grantReadWriteData(render);
    assertionsTable.grantReadData(render);
    render.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [reportsBucket.arnForObjects('compliance-reports/*')] }));
    acknowledgeGrantWildcards(render, { arns: [reportsBucket.bucketArn], suffix: '/compliance-reports/*', reason: COMPLIANCE_REPORT_KEYS_REASON });
    const failRender = new BlockplaneFunction(this, 'FailComplianceReport', {
      entry: 'lambdas/tasks/fail-compliance-report.ts',
      description: 'Records an unexpected rendering error as the compliance report failure',
      environment,
    });
    specsTable.grantReadWriteData(failRender);
    const workflow = new AslStateMachine(this, 'RenderComplianceReportWorkflow', {
      definitionFile: 'statemachines/render-compliance-report.asl.json',
      functions: { RenderComplianceReportFunctionArn: render.function, FailComplianceReportFunctionArn: failRender.function },
    });
    this.renderReportStateMachine = workflow.stateMachine;

    const noticesKey = new kms.Key(this, 'OperatorNoticesKey', { enableKeyRotation: true, description: 'Encrypts the operators\' audit notices topic' });
    noticesKey.grant(new iam.ServicePrincipal('events.amazonaws.com'), 'kms:GenerateDataKey*', 'kms:Decrypt');
    const notices = new sns.Topic(this, 'OperatorNotices', { displayName: 'Blockplane audit alarms', enforceSSL: true, masterKey: noticesKey });
    this.operatorNotices = notices;
    new events.Rule(this, 'AuditAlarmToOperators', {
      description: 'Forwards every audit alarm event to the operators\' notices topic',
      eventPattern: { source: [AUDIT_EVENT_SOURCE], detailType: [AUDIT_ALARM_DETAIL_TYPE] },
      targets: [new targets.SnsTopic(notices)],
    });

    const auditedTables = [specsTable, assertionsTable, volumesTable, ...(props.auditedTables ?? [])];
    const auditedBuckets = [reportsBucket, ...(props.auditedBuckets ?? [])];
    const asserter = new BlockplaneFunction(this, 'AuditControlPlane', {
      entry: 'lambdas/events/audit-control-plane.ts',
      description: 'Scheduled: asserts the spec against volumes, buckets, tables and roles, evaluates the fleet and raises audit alarms',
      timeout: Duration.seconds(60),
      environment: {
        ...environment,
        VOLUMES_TABLE: volumesTable.tableName,
        AUDITED_TABLES: auditedTables.map((audited) => audited.tableName).join(','),
        AUDITED_BUCKETS: auditedBuckets.map((bucket) => bucket.bucketName).join(','),
        AUDITED_ROLE_PATH: FUNCTION_ROLE_PATH,
      },
    });
    specsTable.grantReadWriteData(asserter);
    assertionsTable.grantReadWriteData(asserter);
    // It scans the volumes themselves and nothing else (no index, no write).
    asserter.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Scan'], resources: [volumesTable.tableArn] }));
    asserter.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:DescribeTable', 'dynamodb:DescribeContinuousBackups'], resources: auditedTables.map((audited) => audited.tableArn) }),
    );
    asserter.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetBucketPublicAccessBlock', 's3:GetBucketPolicy'], resources: auditedBuckets.map((bucket) => bucket.bucketArn) }),
    );
    // Every stack's function roles, found by their path: listing and reading them, nothing else.
    const functionRolePath = this.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: FUNCTION_ROLE_PATH.slice(1) });
    asserter.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['iam:ListRoles', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:ListAttachedRolePolicies'], resources: [`${functionRolePath}*`] }),
    );
    acknowledgeGrantWildcards(asserter, { arns: [functionRolePath], suffix: '*', reason: FUNCTION_ROLES_REASON });
    asserter.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.eventBusArn] }));
    new events.Rule(this, 'AssertControlPlaneSchedule', {
      description: 'Runs the control-plane asserter and the fleet evaluation',
      schedule: events.Schedule.rate(props.assertionInterval ?? Duration.minutes(1)),
      targets: [new targets.LambdaFunction(asserter.function, { retryAttempts: 0 })],
    });

    new CfnOutput(this, 'SpecsTableName', { value: specsTable.tableName });
    new CfnOutput(this, 'AssertionsTableName', { value: assertionsTable.tableName });
    new CfnOutput(this, 'AuditControlPlaneFunctionName', { value: asserter.function.functionName });
    new CfnOutput(this, 'OperatorNoticesTopicArn', { value: notices.topicArn });
    new CfnOutput(this, 'RenderComplianceReportStateMachineArn', { value: workflow.stateMachine.stateMachineArn });
  }
}

/** What the API's audit routes need from this stack. */
export interface AuditApiResources {
  readonly specsTable: dynamodb.ITable;
  readonly assertionsTable: dynamodb.ITable;
  readonly reportsBucket: s3.IBucket;
  readonly renderReportStateMachine: sfn.IStateMachine;
  readonly operatorPrincipalArnPrefix: string;
  readonly eventBusArn: string;
}
