import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { DEFAULT_RECOVERY_POLICY, recoveryPolicyProblem, type RecoveryPolicy } from '../core/recovery/recovery-policy';
import { BlockplaneFunction } from './blockplane-function';
import { TABLE_INDEX_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';

export interface RecoveryStackProps extends StackProps {
  readonly volumesTable: dynamodb.ITable;
  readonly hostsTable: dynamodb.ITable;
  readonly hostCommandsTable: dynamodb.ITable;
  readonly failoverStateMachine: sfn.IStateMachine;
  readonly deleteVolumeStateMachine: sfn.IStateMachine;
  readonly createVolumeStateMachine: sfn.IStateMachine;
  /**
   * The recovery's times and limits (docs/recovery.md, "Policy").
   * @default - DEFAULT_RECOVERY_POLICY: 24 h quarantine, 7 days to decide, 10 hosts at a time
   */
  readonly policy?: Partial<RecoveryPolicy>;
}

/** What the API's recovery routes need from this stack. */
export interface RecoveryApiResources {
  readonly recoveryTable: dynamodb.ITable;
  /** RECOVERY_TABLE and the policy's RECOVERY_* variables. */
  readonly recoveryEnvironment: Readonly<Record<string, string>>;
}

/**
 * Recovery after a storage-host failure (docs/recovery.md): the recovery table (each volume's
 * recovery with its proofs, owner notices, the mass-recovery batch) and the scheduled pass over
 * its deadlines. The API routes live in BlockplaneApi (`recoveryRoutes`).
 */
export class RecoveryStack extends Stack implements RecoveryApiResources {
  readonly recoveryTable: dynamodb.ITable;
  readonly recoveryEnvironment: Readonly<Record<string, string>>;
  /** The deadline pass EventBridge runs every minute (tests on the local cloud may invoke it too). */
  readonly deadlinesFunction: BlockplaneFunction;

  constructor(scope: Construct, id: string, props: RecoveryStackProps) {
    super(scope, id, props);
    const policy = { ...DEFAULT_RECOVERY_POLICY, ...props.policy };
    const problem = recoveryPolicyProblem(policy);
    if (problem) throw new Error(`recovery policy: ${problem}`);

    const table = new dynamodb.Table(this, 'RecoveryTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Sparse: only recoveries with a deadline carry `dueShard`.
    table.addGlobalSecondaryIndex({
      indexName: 'byDue',
      partitionKey: { name: 'dueShard', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'dueAt', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });
    this.recoveryTable = table;
    this.recoveryEnvironment = {
      RECOVERY_TABLE: table.tableName,
      RECOVERY_QUARANTINE_SECONDS: String(policy.quarantineSeconds),
      RECOVERY_AUTO_ARCHIVE_SECONDS: String(policy.autoArchiveSeconds),
      RECOVERY_HOST_BATCH: String(policy.hostBatch),
      RECOVERY_SLOT_SECONDS: String(policy.slotSeconds),
      RECOVERY_RETRY_AFTER_SECONDS: String(policy.retryAfterSeconds),
    };

    const deadlines = new BlockplaneFunction(this, 'ProcessRecoveryDeadlines', {
      entry: 'lambdas/events/process-recovery-deadlines.ts',
      description: 'Scheduled: deletes quarantined copies whose period ended (when nothing can need them) and archives recoveries nobody decided in time',
      timeout: Duration.seconds(60),
      environment: {
        ...this.recoveryEnvironment,
        VOLUMES_TABLE: props.volumesTable.tableName,
        HOSTS_TABLE: props.hostsTable.tableName,
        COMMANDS_TABLE: props.hostCommandsTable.tableName,
        FAILOVER_STATE_MACHINE_ARN: props.failoverStateMachine.stateMachineArn,
        DELETE_VOLUME_STATE_MACHINE_ARN: props.deleteVolumeStateMachine.stateMachineArn,
        // The shared composition builds both volume workflows; this function may start only deletions.
        CREATE_VOLUME_STATE_MACHINE_ARN: props.createVolumeStateMachine.stateMachineArn,
      },
    });
    table.grantReadWriteData(deadlines);
    props.volumesTable.grantReadWriteData(deadlines);
    props.hostsTable.grantReadData(deadlines);
    props.hostCommandsTable.grantReadWriteData(deadlines);
    props.failoverStateMachine.grantStartExecution(deadlines);
    props.deleteVolumeStateMachine.grantStartExecution(deadlines);
    new events.Rule(this, 'ProcessRecoveryDeadlinesSchedule', {
      description: 'Runs the recovery deadline pass (docs/recovery.md)',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(deadlines.function, { retryAttempts: 0 })],
    });
    this.deadlinesFunction = deadlines;

    acknowledgeGrantWildcards(this, {
      arns: [table.tableArn, props.volumesTable.tableArn, props.hostsTable.tableArn, props.hostCommandsTable.tableArn],
      suffix: '/index/*',
      reason: TABLE_INDEX_REASON,
    });

    new CfnOutput(this, 'RecoveryTableName', { value: table.tableName });
    new CfnOutput(this, 'ProcessRecoveryDeadlinesFunctionName', { value: deadlines.function.functionName });
  }
}
