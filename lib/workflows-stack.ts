import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { AslStateMachine } from './asl-state-machine';
import { BlockplaneFunction } from './blockplane-function';
import { TABLE_INDEX_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';

export interface WorkflowsStackProps extends StackProps {
  readonly volumesTable: dynamodb.ITable;
  readonly hostsTable: dynamodb.ITable;
  readonly hostCommandsTable: dynamodb.ITable;

  /**
   * How long a workflow waits for a host to answer one command (`${HostCommandTimeoutSeconds}`).
   * @default Duration.seconds(300)
   */
  readonly hostCommandTimeout?: Duration;
}

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

  constructor(scope: Construct, id: string, props: WorkflowsStackProps) {
    super(scope, id, props);
    const { volumesTable, hostsTable, hostCommandsTable } = props;
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
    const environment = {
      VOLUMES_TABLE: volumesTable.tableName,
      HOSTS_TABLE: hostsTable.tableName,
      COMMANDS_TABLE: hostCommandsTable.tableName,
    };
    const task = (taskId: string, entry: string, description: string) =>
      new BlockplaneFunction(this, taskId, { entry, description, environment });

    // Grants: exactly the "grants" column of docs/control-plane.md, "Functions".
    const placeCopies = task('PlaceCopies', 'lambdas/tasks/place-copies.ts', "Chooses hosts for a volume's copies and reserves capacity");
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

    const beginFailover = task('BeginFailover', 'lambdas/tasks/begin-failover.ts', 'Takes a lost copy out of its volume and plans the recovery');
    volumesTable.grantReadWriteData(beginFailover);
    hostsTable.grantReadWriteData(beginFailover);
    hostCommandsTable.grantReadWriteData(beginFailover);

    const placeReplacementMirror = task(
      'PlaceReplacementMirror',
      'lambdas/tasks/place-replacement-mirror.ts',
      'Places and reserves a new mirror for a volume that lost one',
    );
    volumesTable.grantReadWriteData(placeReplacementMirror);
    hostsTable.grantReadWriteData(placeReplacementMirror);

    acknowledgeGrantWildcards(this, {
      arns: [volumesTable.tableArn, hostsTable.tableArn, hostCommandsTable.tableArn],
      suffix: '/index/*',
      reason: TABLE_INDEX_REASON,
    });

    // Each machine gets (and may invoke) only the functions its definition names
    // (docs/control-plane.md, "State machines").
    const substitutions = { HostCommandTimeoutSeconds: String(hostCommandTimeoutSeconds) };
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
      substitutions,
    });
    this.createVolumeStateMachine = createVolume.stateMachine;
    this.deleteVolumeStateMachine = deleteVolume.stateMachine;
    this.failoverStateMachine = failover.stateMachine;

    new CfnOutput(this, 'CreateVolumeStateMachineArn', { value: createVolume.stateMachine.stateMachineArn });
    new CfnOutput(this, 'DeleteVolumeStateMachineArn', { value: deleteVolume.stateMachine.stateMachineArn });
    new CfnOutput(this, 'FailoverStateMachineArn', { value: failover.stateMachine.stateMachineArn });
  }
}
