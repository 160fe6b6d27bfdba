import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { RuleSchema, type Rule } from '../core/diagnostics/rule';
import { AslStateMachine } from './asl-state-machine';
import { BlockplaneFunction } from './blockplane-function';
import { TABLE_INDEX_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';
import { REPO_ROOT } from './repo-paths';

export interface DiagnosticsStackProps extends StackProps {
  /** Where reports are uploaded (`reports/<owner>/<reportId>/report.tar.gz`); its S3 events go to EventBridge. */
  readonly reportsBucket: s3.IBucket;

  /**
   * Principals whose ARN starts with this are operators (review queue, known issues).
   * @default - IAM users under the path `/blockplane-operators/` of the deploying account
   */
  readonly operatorPrincipalArnPrefix?: string;
}

/** The known-issue rules in the repository, validated at synthesis (a bad rule fails the deploy before it starts). */
export function repositoryRules(dir = path.join(REPO_ROOT, 'rules/known-issues')): Rule[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => {
      const parsed = RuleSchema.safeParse(JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8')));
      if (!parsed.success) throw new Error(`rules/known-issues/${name} is not a valid rule: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
      if (`${parsed.data.id}.json` !== name) throw new Error(`rules/known-issues/${name} holds rule ${parsed.data.id}; name the file after the id`);
      return parsed.data;
    });
}

/** Why a diagnostics function may reach `<reports bucket arn>/reports/*`. */
export const REPORT_KEYS_REASON =
  'each report is one object reports/<owner>/<reportId>/report.tar.gz whose id is minted per request, so the grant ' +
  'names the reports/ prefix of this one bucket (s3:PutObject to presign uploads, s3:GetObject to read them), nothing wider';

const agentVersion = (): string => (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Diagnostics (docs/diagnostics.md): the diagnostics table (reports, known issues, occurrences,
 * feedback), the diagnose-report workflow started by an EventBridge rule for the reports
 * bucket's Object Created events, its task functions, and the deploy-time loader of the
 * repository's rules. The API routes live in BlockplaneApi (`diagnosticsRoutes`).
 */
export class DiagnosticsStack extends Stack {
  readonly diagnosticsTable: dynamodb.ITable;
  readonly reportsBucket: s3.IBucket;
  readonly diagnoseReportStateMachine: sfn.IStateMachine;
  readonly operatorPrincipalArnPrefix: string;
  readonly fleetAgentVersion: string;

  constructor(scope: Construct, id: string, props: DiagnosticsStackProps) {
    super(scope, id, props);
    const { reportsBucket } = props;
    this.reportsBucket = reportsBucket;
    this.operatorPrincipalArnPrefix = props.operatorPrincipalArnPrefix ?? `arn:${this.partition}:iam::${this.account}:user/blockplane-operators/`;
    this.fleetAgentVersion = agentVersion();

    const table = new dynamodb.Table(this, 'DiagnosticsTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: 'expiresAt',
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    table.addGlobalSecondaryIndex({
      indexName: 'byOwner',
      partitionKey: { name: 'ownerKey', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    // Sparse: only diagnosed reports with errors and no match carry `review`.
    table.addGlobalSecondaryIndex({
      indexName: 'reviewQueue',
      partitionKey: { name: 'review', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'reviewAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.diagnosticsTable = table;

    const environment = { DIAGNOSTICS_TABLE: table.tableName, REPORTS_BUCKET: reportsBucket.bucketName };
    const diagnose = new BlockplaneFunction(this, 'DiagnoseReport', {
      entry: 'lambdas/tasks/diagnose-report.ts',
      description: 'Unpacks an uploaded report safely, parses it, evaluates the known-issue rules and stores the result',
      timeout: Duration.seconds(120),
      memorySizeMiB: 1536,
      environment: { ...environment, FLEET_AGENT_VERSION: this.fleetAgentVersion },
    });
    table.grantReadWriteData(diagnose);
    diagnose.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [reportsBucket.arnForObjects('reports/*')] }));
    acknowledgeGrantWildcards(diagnose, { arns: [reportsBucket.bucketArn], suffix: '/reports/*', reason: REPORT_KEYS_REASON });
    const fail = new BlockplaneFunction(this, 'FailReport', {
      entry: 'lambdas/tasks/fail-report.ts',
      description: 'Records an unexpected diagnosis error as the report failure reason',
      environment,
    });
    table.grantReadWriteData(fail);

    const workflow = new AslStateMachine(this, 'DiagnoseReportWorkflow', {
      definitionFile: 'statemachines/diagnose-report.asl.json',
      functions: { DiagnoseReportFunctionArn: diagnose.function, FailReportFunctionArn: fail.function },
    });
    this.diagnoseReportStateMachine = workflow.stateMachine;

    new events.Rule(this, 'ReportUploaded', {
      description: 'Starts diagnose-report for each object created under reports/ in the reports bucket',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [reportsBucket.bucketName] }, object: { key: [{ prefix: 'reports/' }] } },
      },
      targets: [
        new targets.SfnStateMachine(workflow.stateMachine, {
          input: events.RuleTargetInput.fromObject({ key: events.EventField.fromPath('$.detail.object.key') }),
          retryAttempts: 3,
        }),
      ],
    });

    const loader = new BlockplaneFunction(this, 'LoadReportRules', {
      entry: 'lambdas/tasks/load-report-rules.ts',
      description: 'Deploy step: stores the repository known-issue rules (rules/known-issues) as global rule versions',
      timeout: Duration.seconds(120),
      environment,
    });
    table.grantReadWriteData(loader);
    new CustomResource(this, 'KnownIssueRules', {
      serviceToken: loader.function.functionArn,
      resourceType: 'Custom::KnownIssueRules',
      properties: { Rules: JSON.stringify(repositoryRules()) },
    });

    acknowledgeGrantWildcards(this, { arns: [table.tableArn], suffix: '/index/*', reason: TABLE_INDEX_REASON });

    new CfnOutput(this, 'DiagnosticsTableName', { value: table.tableName });
    new CfnOutput(this, 'DiagnoseReportStateMachineArn', { value: workflow.stateMachine.stateMachineArn });
  }
}

/** What the API's diagnostics routes need from this stack. */
export interface DiagnosticsApiResources {
  readonly diagnosticsTable: dynamodb.ITable;
  readonly reportsBucket: s3.IBucket;
  readonly operatorPrincipalArnPrefix: string;
}
