import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { REBUILD_RETRY } from '../core/rebuild-backoff';
import { AslStateMachine } from './asl-state-machine';
import { BlockplaneFunction } from './blockplane-function';
import { grantSealKeys, keySealingEnvironment } from './key-sealing';
import { TABLE_INDEX_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';

export interface WorkflowsStackProps extends StackProps {
  readonly volumesTable: dynamodb.ITable;
  readonly hostsTable: dynamodb.ITable;
  readonly hostCommandsTable: dynamodb.ITable;
  /** Seals the PSK keys the placement and fail-over tasks mint. */
  readonly keySealingKey: kms.IKey;

  /**
   * How long a waiting host task may go without progress (no result, no progress report) before
   * it fails (`${HostCommandTimeoutSeconds}`: the tasks' HeartbeatSeconds, and the sweep's
   * stalled-task check where the emulator ignores HeartbeatSeconds).
   * @default Duration.seconds(300)
   */
  readonly hostCommandTimeout?: Duration;

  /**
   * The longest one host task may run while it keeps making progress (`${HostCommandMaxSeconds}`,
   * the tasks' TimeoutSeconds). Must be longer than `hostCommandTimeout`.
   * @default Duration.days(1)
   */
  readonly hostCommandMaxDuration?: Duration;

  /**
   * How long a host may stay silent before the silent-host sweep declares it lost
   * (`HOST_HEARTBEAT_TIMEOUT_SECONDS` of the sweep function).
   * @default Duration.seconds(30)
   */
  readonly hostHeartbeatTimeout?: Duration;

  /**
   * How many rebuild attempts one fail-over execution makes before it hands the rebuild to a new
   * execution of itself (`${RebuildAttemptsPerExecution}`, core/rebuild-backoff.ts): bounds one
   * execution's history; the rebuild itself never stops.
   * @default REBUILD_RETRY.attemptsPerExecution (500)
   */
  readonly rebuildAttemptsPerExecution?: number;
}

/**
 * The silent-host sweep (docs/workflows.md, "Silent-host sweep"): EventBridge invokes it every
 * minute (the shortest rate a schedule has); each invocation sweeps for SWEEP_RUN_SECONDS, a
 * little longer than the period so consecutive runs overlap and the sweep never pauses, passing
 * over the fleet every SWEEP_INTERVAL_SECONDS (a third of the heartbeat timeout, at most 5 s).
 */
const SWEEP_SCHEDULE_MINUTES = 1;
const SWEEP_RUN_SECONDS = 75;
const SWEEP_FUNCTION_TIMEOUT_SECONDS = 90;

/** Longest wait a Step Functions task accepts (one year). */
const MAX_TASK_TIMEOUT_SECONDS = 31_536_000;

/**
 * The volume workflows: the task functions and the create-volume, delete-volume and fail-over
 * state machines built from `statemachines/*.asl.json` (docs/control-plane.md, "State machines").
 */
export class WorkflowsStack extends Stack {
  readonly createVolumeStateMachine: sfn.IStateMachine;
  readonly deleteVolumeStateMachine: sfn.IStateMachine;
  readonly failoverStateMachine: sfn.IStateMachine;
  readonly modifyVolumeStateMachine: sfn.IStateMachine;
  /** The silent-host sweep EventBridge runs on a schedule (tests on the local cloud may invoke it too). */
  readonly sweepFunction: lambda.IFunction;
  /** The scheduled auto-adjust evaluation (tests on the local cloud invoke it too). */
  readonly evaluateAutoAdjustFunction: lambda.IFunction;

  constructor(scope: Construct, id: string, props: WorkflowsStackProps) {
    super(scope, id, props);
    const { volumesTable, hostsTable, hostCommandsTable, keySealingKey } = props;
    const hostCommandTimeoutSeconds = (props.hostCommandTimeout ?? Duration.seconds(300)).toSeconds();
    if (
      !Number.isInteger(hostCommandTimeoutSeconds) ||
      hostCommandTimeoutSeconds < 1 ||
      hostCommandTimeoutSeconds > MAX_TASK_TIMEOUT_SECONDS
    ) {
      throw new Error(
        `hostCommandTimeout must be a whole number of seconds from 1 to ${MAX_TASK_TIMEOUT_SECONDS}; ` +
          `received ${hostCommandTimeoutSeconds}`,
      );
    }
    const hostCommandMaxSeconds = (props.hostCommandMaxDuration ?? Duration.days(1)).toSeconds();
    if (!Number.isInteger(hostCommandMaxSeconds) || hostCommandMaxSeconds <= hostCommandTimeoutSeconds || hostCommandMaxSeconds > MAX_TASK_TIMEOUT_SECONDS) {
      throw new Error(
        `hostCommandMaxDuration must be a whole number of seconds above hostCommandTimeout (${hostCommandTimeoutSeconds}) ` +
          `and at most ${MAX_TASK_TIMEOUT_SECONDS}; received ${hostCommandMaxSeconds}`,
      );
    }
    const environment = {
      VOLUMES_TABLE: volumesTable.tableName,
      HOSTS_TABLE: hostsTable.tableName,
      COMMANDS_TABLE: hostCommandsTable.tableName,
    };
    const task = (taskId: string, entry: string, description: string, extra: Record<string, string> = {}) =>
      new BlockplaneFunction(this, taskId, { entry, description, environment: { ...environment, ...extra } });
    const sealing = keySealingEnvironment(keySealingKey);
    const heartbeatTimeoutSeconds = (props.hostHeartbeatTimeout ?? Duration.seconds(30)).toSeconds();

    // Grants: exactly the "grants" column of docs/control-plane.md, "Functions".
    const placeCopies = task('PlaceCopies', 'lambdas/tasks/place-copies.ts', "Chooses hosts for a volume's copies, reserves capacity, mints the replication key", sealing);
    grantSealKeys(keySealingKey, placeCopies);
    volumesTable.grantReadWriteData(placeCopies);
    hostsTable.grantReadWriteData(placeCopies);

    const sendHostCommand = task('SendHostCommand', 'lambdas/tasks/send-host-command.ts', 'Queues a command with its task token');
    hostCommandsTable.grantReadWriteData(sendHostCommand);

    const settleVolume = task('SettleVolume', 'lambdas/tasks/settle-volume.ts', 'Marks a volume available, error or deleted');
    volumesTable.grantReadWriteData(settleVolume);

    const releasePlacement = task('ReleasePlacement', 'lambdas/tasks/release-placement.ts', 'Frees what a volume reserved on hosts');
    volumesTable.grantReadWriteData(releasePlacement);
    hostsTable.grantReadWriteData(releasePlacement);
    hostCommandsTable.grantReadWriteData(releasePlacement);

    const recordCopyEndpoints = task(
      'RecordCopyEndpoints',
      'lambdas/tasks/record-copy-endpoints.ts',
      "Stores copies' NBD endpoints and builds the start-replication command",
    );
    volumesTable.grantReadWriteData(recordCopyEndpoints);

    const beginFailover = task(
      'BeginFailover',
      'lambdas/tasks/begin-failover.ts',
      'Takes a lost copy out of its volume, plans the recovery, mints fresh client keys on promotion',
      sealing,
    );
    grantSealKeys(keySealingKey, beginFailover);
    volumesTable.grantReadWriteData(beginFailover);
    hostsTable.grantReadWriteData(beginFailover);
    hostCommandsTable.grantReadWriteData(beginFailover);

    const placeReplacementMirror = task(
      'PlaceReplacementMirror',
      'lambdas/tasks/place-replacement-mirror.ts',
      'Places and reserves a new mirror for a volume that lost one and mints its replication key',
      sealing,
    );
    grantSealKeys(keySealingKey, placeReplacementMirror);
    volumesTable.grantReadWriteData(placeReplacementMirror);
    hostsTable.grantReadWriteData(placeReplacementMirror);
    hostCommandsTable.grantReadWriteData(placeReplacementMirror);

    const advanceModification = task(
      'AdvanceModification',
      'lambdas/tasks/advance-modification.ts',
      'Records a modification step, plans and reserves, honours cancel and merges, returns the next host command',
    );
    const failModification = task('FailModification', 'lambdas/tasks/fail-modification.ts', 'Rolls a failed modification back and records why');
    for (const fn of [advanceModification, failModification]) {
      volumesTable.grantReadWriteData(fn);
      hostsTable.grantReadWriteData(fn);
      hostCommandsTable.grantReadWriteData(fn);
    }

    acknowledgeGrantWildcards(this, {
      arns: [volumesTable.tableArn, hostsTable.tableArn, hostCommandsTable.tableArn],
      suffix: '/index/*',
      reason: TABLE_INDEX_REASON,
    });

    // Each machine gets (and may invoke) only the functions its definition names
    // (docs/control-plane.md, "State machines").
    const substitutions = { HostCommandTimeoutSeconds: String(hostCommandTimeoutSeconds), HostCommandMaxSeconds: String(hostCommandMaxSeconds) };
    const rebuildAttemptsPerExecution = props.rebuildAttemptsPerExecution ?? REBUILD_RETRY.attemptsPerExecution;
    if (!Number.isInteger(rebuildAttemptsPerExecution) || rebuildAttemptsPerExecution < 1 || rebuildAttemptsPerExecution > REBUILD_RETRY.attemptsPerExecution) {
      throw new Error(`rebuildAttemptsPerExecution must be a whole number from 1 to ${REBUILD_RETRY.attemptsPerExecution}; received ${rebuildAttemptsPerExecution}`);
    }
    const createVolume = new AslStateMachine(this, 'CreateVolume', {
      definitionFile: 'statemachines/create-volume.asl.json',
      functions: {
        PlaceCopiesFunctionArn: placeCopies.function,
        SendHostCommandFunctionArn: sendHostCommand.function,
        RecordCopyEndpointsFunctionArn: recordCopyEndpoints.function,
        SettleVolumeFunctionArn: settleVolume.function,
        ReleasePlacementFunctionArn: releasePlacement.function,
      },
      substitutions,
    });
    const deleteVolume = new AslStateMachine(this, 'DeleteVolume', {
      definitionFile: 'statemachines/delete-volume.asl.json',
      functions: {
        SendHostCommandFunctionArn: sendHostCommand.function,
        SettleVolumeFunctionArn: settleVolume.function,
        ReleasePlacementFunctionArn: releasePlacement.function,
      },
      substitutions,
    });
    const failover = new AslStateMachine(this, 'Failover', {
      definitionFile: 'statemachines/fail-over-volume.asl.json',
      functions: {
        BeginFailoverFunctionArn: beginFailover.function,
        SendHostCommandFunctionArn: sendHostCommand.function,
        RecordCopyEndpointsFunctionArn: recordCopyEndpoints.function,
        PlaceReplacementMirrorFunctionArn: placeReplacementMirror.function,
        SettleVolumeFunctionArn: settleVolume.function,
      },
      substitutions: { ...substitutions, RebuildAttemptsPerExecution: String(rebuildAttemptsPerExecution) },
    });
    // The rebuild goes on in a new execution of the same machine ("Continue rebuild in a new
    // execution"). A policy of its own: the role's default policy is one the machine depends on,
    // so naming the machine's ARN there would be a cycle.
    new iam.Policy(this, 'FailoverContinuesItself', {
      roles: [failover.stateMachine.role],
      statements: [new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [failover.stateMachine.stateMachineArn] })],
    });
    const modifyVolume = new AslStateMachine(this, 'ModifyVolume', {
      definitionFile: 'statemachines/modify-volume.asl.json',
      functions: {
        AdvanceModificationFunctionArn: advanceModification.function,
        SendHostCommandFunctionArn: sendHostCommand.function,
        FailModificationFunctionArn: failModification.function,
      },
      substitutions,
    });
    const evaluateAutoAdjust = new BlockplaneFunction(this, 'EvaluateAutoAdjust', {
      entry: 'lambdas/events/evaluate-auto-adjust.ts',
      description: 'Scheduled: requests the grows the volumes’ automatic-adjustment policies ask for (trigger auto-grow)',
      timeout: Duration.seconds(60),
      environment: { ...environment, MODIFY_VOLUME_STATE_MACHINE_ARN: modifyVolume.stateMachine.stateMachineArn },
    });
    volumesTable.grantReadWriteData(evaluateAutoAdjust);
    hostsTable.grantReadData(evaluateAutoAdjust);
    modifyVolume.stateMachine.grantStartExecution(evaluateAutoAdjust);
    new events.Rule(this, 'EvaluateAutoAdjustSchedule', {
      description: 'Runs the auto-adjust evaluation (docs/modification.md)',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(evaluateAutoAdjust.function, { retryAttempts: 0 })],
    });
    this.evaluateAutoAdjustFunction = evaluateAutoAdjust.function;
    const sweep = new BlockplaneFunction(this, 'SweepSilentHosts', {
      entry: 'lambdas/events/sweep-silent-hosts.ts',
      description: 'Scheduled: finds hosts that stopped heartbeating, judged against the control plane’s own continuity, and starts their fail-overs',
      timeout: Duration.seconds(SWEEP_FUNCTION_TIMEOUT_SECONDS),
      environment: {
        VOLUMES_TABLE: volumesTable.tableName,
        HOSTS_TABLE: hostsTable.tableName,
        COMMANDS_TABLE: hostCommandsTable.tableName,
        FAILOVER_STATE_MACHINE_ARN: failover.stateMachine.stateMachineArn,
        HOST_COMMAND_TIMEOUT_SECONDS: String(hostCommandTimeoutSeconds),
        HOST_HEARTBEAT_TIMEOUT_SECONDS: String(heartbeatTimeoutSeconds),
        SWEEP_RUN_SECONDS: String(SWEEP_RUN_SECONDS),
        SWEEP_INTERVAL_SECONDS: String(Math.max(1, Math.min(5, Math.floor(heartbeatTimeoutSeconds / 3)))),
      },
    });
    hostsTable.grantReadWriteData(sweep);
    volumesTable.grantReadData(sweep);
    failover.stateMachine.grantStartExecution(sweep);
    hostCommandsTable.grantReadWriteData(sweep);
    for (const machine of [createVolume, deleteVolume, failover, modifyVolume]) machine.stateMachine.grantTaskResponse(sweep);
    new events.Rule(this, 'SweepSilentHostsSchedule', {
      description: 'Runs the silent-host sweep (docs/workflows.md)',
      schedule: events.Schedule.rate(Duration.minutes(SWEEP_SCHEDULE_MINUTES)),
      targets: [new targets.LambdaFunction(sweep.function, { retryAttempts: 0 })],
    });
    this.sweepFunction = sweep.function;

    this.createVolumeStateMachine = createVolume.stateMachine;
    this.deleteVolumeStateMachine = deleteVolume.stateMachine;
    this.failoverStateMachine = failover.stateMachine;
    this.modifyVolumeStateMachine = modifyVolume.stateMachine;

    new CfnOutput(this, 'CreateVolumeStateMachineArn', { value: createVolume.stateMachine.stateMachineArn });
    new CfnOutput(this, 'DeleteVolumeStateMachineArn', { value: deleteVolume.stateMachine.stateMachineArn });
    new CfnOutput(this, 'FailoverStateMachineArn', { value: failover.stateMachine.stateMachineArn });
    new CfnOutput(this, 'ModifyVolumeStateMachineArn', { value: modifyVolume.stateMachine.stateMachineArn });
    new CfnOutput(this, 'EvaluateAutoAdjustFunctionName', { value: evaluateAutoAdjust.function.functionName });
    new CfnOutput(this, 'SweepSilentHostsFunctionName', { value: sweep.function.functionName });
  }
}
