import { Aws, Duration, type Environment } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ApiStack } from './api-stack';
import { DataStack } from './data-stack';
import { WorkflowsStack } from './workflows-stack';

export interface BlockplaneStacksProps {
  /**
   * Account and region to deploy to.
   * @default - environment-agnostic stacks
   */
  readonly env?: Environment;
}

export interface BlockplaneStacks {
  readonly data: DataStack;
  readonly workflows: WorkflowsStack;
  readonly api: ApiStack;
}

/**
 * CDK context keys the app reads (`cdk deploy -c key=value`, or `context` in cdk.json):
 * - `hostCommandTimeoutSeconds`: how long a workflow waits for a host to answer a command
 *   (default 300; the local cloud deploys with 15).
 * - `hostPrincipalArnPrefix`: principal ARN prefix that marks storage hosts (default
 *   `arn:<partition>:iam::<account>:user/blockplane-hosts/`, IAM users under the path
 *   `/blockplane-hosts/`, which is what the local cloud creates).
 */
export const CONTEXT = {
  hostCommandTimeoutSeconds: 'hostCommandTimeoutSeconds',
  hostPrincipalArnPrefix: 'hostPrincipalArnPrefix',
} as const;

const DEFAULT_HOST_COMMAND_TIMEOUT_SECONDS = 300;

/** Adds the Blockplane control plane's stacks (Data, Workflows, Api) to `scope`, usually the app. */
export function addBlockplaneStacks(scope: Construct, props: BlockplaneStacksProps = {}): BlockplaneStacks {
  const { env } = props;
  const data = new DataStack(scope, 'BlockplaneData', {
    env,
    description: 'Blockplane control plane: volumes, hosts and host-commands tables; reports bucket',
  });
  const workflows = new WorkflowsStack(scope, 'BlockplaneWorkflows', {
    env,
    description: 'Blockplane control plane: volume workflows (Step Functions) and their task functions',
    volumesTable: data.volumesTable,
    hostsTable: data.hostsTable,
    hostCommandsTable: data.hostCommandsTable,
    hostCommandTimeout: Duration.seconds(hostCommandTimeoutSeconds(scope)),
  });
  const api = new ApiStack(scope, 'BlockplaneApi', {
    env,
    description: 'Blockplane control plane: REST API (IAM-authorized) and its handlers',
    volumesTable: data.volumesTable,
    hostsTable: data.hostsTable,
    hostCommandsTable: data.hostCommandsTable,
    createVolumeStateMachine: workflows.createVolumeStateMachine,
    deleteVolumeStateMachine: workflows.deleteVolumeStateMachine,
    hostPrincipalArnPrefix: scope.node.tryGetContext(CONTEXT.hostPrincipalArnPrefix) ?? defaultHostPrincipalArnPrefix(),
  });
  return { data, workflows, api };
}

function hostCommandTimeoutSeconds(scope: Construct): number {
  const raw: unknown = scope.node.tryGetContext(CONTEXT.hostCommandTimeoutSeconds);
  if (raw === undefined) return DEFAULT_HOST_COMMAND_TIMEOUT_SECONDS;
  const seconds = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new Error(
      `context ${CONTEXT.hostCommandTimeoutSeconds} must be a whole number of seconds, at least 1; received ${JSON.stringify(raw)}`,
    );
  }
  return seconds;
}

/** IAM users under the path `/blockplane-hosts/` in the deploying account; resolved by CloudFormation. */
function defaultHostPrincipalArnPrefix(): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:user/blockplane-hosts/`;
}
