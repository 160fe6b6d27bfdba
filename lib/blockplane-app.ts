import * as path from 'node:path';
import { Annotations, Duration, type Environment, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ApiStack } from './api-stack';
import { AuditStack } from './audit-stack';
import { DataStack } from './data-stack';
import { DiagnosticsStack } from './diagnostics-stack';
import { fleetNetworkFromContext } from './fleet-context';
import { DEFAULT_HOST_PROBE_FUNCTION_NAME, FleetStack, type FleetStackProps } from './fleet-stack';
import { RecoveryStack } from './recovery-stack';
import { SnapshotsStack } from './snapshots-stack';
import { HealthStack } from './health-stack';
import { WorkflowsStack } from './workflows-stack';
import { REPO_ROOT } from './repo-paths';

export interface BlockplaneStacksProps {
  /**
   * Account and region to deploy to.
   * @default - environment-agnostic stacks
   */
  readonly env?: Environment;

  /**
   * Settings of the BlockplaneFleet stack (used only with context `fleet=true`).
   * @default - FleetStack's defaults
   */
  readonly fleet?: Omit<FleetStackProps, 'hostRole' | 'api' | keyof StackProps>;

  /**
   * The console build the API stack serves (docs/console.md).
   * @default - console/dist, as `npm run build:console` writes it
   */
  readonly consoleBuildDir?: string;
}

export interface BlockplaneStacks {
  readonly data: DataStack;
  readonly workflows: WorkflowsStack;
  readonly api: ApiStack;
  readonly diagnostics: DiagnosticsStack;
  readonly recovery: RecoveryStack;
  readonly snapshots: SnapshotsStack;
  readonly audit: AuditStack;
  readonly health: HealthStack;
  /** The EC2 storage hosts; only with context `fleet=true`. */
  readonly fleet?: FleetStack;
}

/**
 * CDK context keys the app reads (`cdk deploy -c key=value`, or `context` in cdk.json):
 * - `hostCommandTimeoutSeconds`: how long a workflow waits for a host to answer a command
 *   (default 300; the local cloud deploys with 15).
 * - `hostHeartbeatTimeoutSeconds`: how long a host may stay silent before it is lost and its
 *   copies fail over (default 30; the local cloud deploys with 6).
 * - `hostPrincipalArnPrefix`: principal ARN prefix that marks storage hosts (default: sessions
 *   of the storage-host role BlockplaneApi creates, `arn:<partition>:sts::<account>:assumed-role/<role>/`,
 *   which BlockplaneFleet's instances run as). The local cloud's hosts are IAM users under the
 *   path `/blockplane-hosts/`, so it deploys with
 *   `-c hostPrincipalArnPrefix=arn:aws:iam::000000000000:user/blockplane-hosts/`.
 * - `storageNetworkCidr`: the IPv4 block storage hosts' addresses must be in (default
 *   10.0.0.0/16, BlockplaneFleet's VPC; the local cloud deploys with 10.77.0.0/24, the local
 *   fleet's bridge).
 * - `operatorPrincipalArnPrefix`: principal ARN prefix of operators (review queue, known issues;
 *   default IAM users under `/blockplane-operators/` of the deploying account).
 * - `recoveryQuarantineSeconds`, `recoveryAutoArchiveSeconds`, `recoveryHostBatch`: the recovery
 *   policy (docs/recovery.md; defaults 24 h, 7 days, 10 hosts).
 * - `rebuildAttemptsPerExecution`: rebuild attempts one fail-over execution makes before it hands
 *   the rebuild to a new execution of itself (default 500; the local cloud deploys with 3, so its
 *   tests see the hand-over within a minute).
 * - `healthCloseAfterGreenSeconds`: how long a component stays green before its health event
 *   closes (flapping is folded into the open event; default 300).
 * - `fleet`: `true` adds the BlockplaneFleet stack (EC2 storage hosts, after BlockplaneApi).
 *   Off by default, so `cdk deploy --all` deploys only the control plane.
 * - `fleetImageParameter`: the SSM parameter holding the storage hosts' AMI id (default:
 *   Canonical's public Ubuntu 24.04 parameter for the instance type's architecture). The local
 *   cloud has no Canonical parameters, so its fleet deploy seeds one of its own and names it here.
 * - `fleetVpc`: an existing VPC for the hosts, as JSON `{"vpcId", "vpcCidrBlock",
 *   "availabilityZones": [...], "privateSubnetIds": [...]}` (one private subnet with egress per
 *   zone; default: the fleet stack creates its own VPC with NAT gateways and flow logs). The
 *   local cloud has no NAT gateways, Elastic IPs or flow logs, so its fleet deploy seeds a VPC.
 * - `fleetRackCount`: racks per zone, the partitions of the hosts' partition placement group
 *   (1 to 7; default 3; docs/health.md, "Topology").
 * - `fleetPlacementGroup`: an existing partition placement group for the hosts instead of a new
 *   one. The local cloud's CloudFormation cannot create one, so its fleet deploy seeds it.
 */
export const CONTEXT = {
  hostCommandTimeoutSeconds: 'hostCommandTimeoutSeconds',
  hostHeartbeatTimeoutSeconds: 'hostHeartbeatTimeoutSeconds',
  hostPrincipalArnPrefix: 'hostPrincipalArnPrefix',
  storageNetworkCidr: 'storageNetworkCidr',
  operatorPrincipalArnPrefix: 'operatorPrincipalArnPrefix',
  healthCloseAfterGreenSeconds: 'healthCloseAfterGreenSeconds',
  fleet: 'fleet',
  fleetImageParameter: 'fleetImageParameter',
  fleetVpc: 'fleetVpc',
  fleetPlacementGroup: 'fleetPlacementGroup',
  fleetRackCount: 'fleetRackCount',
  recoveryQuarantineSeconds: 'recoveryQuarantineSeconds',
  recoveryAutoArchiveSeconds: 'recoveryAutoArchiveSeconds',
  recoveryHostBatch: 'recoveryHostBatch',
  rebuildAttemptsPerExecution: 'rebuildAttemptsPerExecution',
} as const;

const DEFAULT_HOST_COMMAND_TIMEOUT_SECONDS = 300;
const DEFAULT_HOST_HEARTBEAT_TIMEOUT_SECONDS = 30;

/**
 * Adds the Blockplane stacks to `scope`, usually the app: the control plane (Data, Workflows,
 * Api) and, with context `fleet=true`, the storage hosts (Fleet).
 */
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
    keySealingKey: data.keySealingKey,
    hostCommandTimeout: Duration.seconds(
      secondsFromContext(scope, CONTEXT.hostCommandTimeoutSeconds, DEFAULT_HOST_COMMAND_TIMEOUT_SECONDS),
    ),
    hostHeartbeatTimeout: Duration.seconds(
      secondsFromContext(scope, CONTEXT.hostHeartbeatTimeoutSeconds, DEFAULT_HOST_HEARTBEAT_TIMEOUT_SECONDS),
    ),
    ...optionalCount(scope, CONTEXT.rebuildAttemptsPerExecution, 'rebuildAttemptsPerExecution'),
  });
  const diagnostics = new DiagnosticsStack(scope, 'BlockplaneDiagnostics', {
    env,
    description: 'Blockplane diagnostics: reports and known-issue table, diagnose-report workflow, rule loader',
    reportsBucket: data.reportsBucket,
    operatorPrincipalArnPrefix: stringFromContext(scope, CONTEXT.operatorPrincipalArnPrefix),
  });
  const recovery = new RecoveryStack(scope, 'BlockplaneRecovery', {
    env,
    description: 'Blockplane recovery after a storage-host failure: recovery table and the deadline pass',
    volumesTable: data.volumesTable,
    hostsTable: data.hostsTable,
    hostCommandsTable: data.hostCommandsTable,
    failoverStateMachine: workflows.failoverStateMachine,
    deleteVolumeStateMachine: workflows.deleteVolumeStateMachine,
    createVolumeStateMachine: workflows.createVolumeStateMachine,
    policy: {
      ...optionalSeconds(scope, CONTEXT.recoveryQuarantineSeconds, 'quarantineSeconds'),
      ...optionalSeconds(scope, CONTEXT.recoveryAutoArchiveSeconds, 'autoArchiveSeconds'),
      ...optionalCount(scope, CONTEXT.recoveryHostBatch, 'hostBatch'),
    },
  });
  const snapshots = new SnapshotsStack(scope, 'BlockplaneSnapshots', {
    env,
    description: 'Blockplane snapshots: snapshots table and bucket, snapshot-volume and collect-snapshot-chunks workflows',
    volumesTable: data.volumesTable,
    hostCommandsTable: data.hostCommandsTable,
    hostCommandTimeout: Duration.seconds(secondsFromContext(scope, CONTEXT.hostCommandTimeoutSeconds, DEFAULT_HOST_COMMAND_TIMEOUT_SECONDS)),
  });
  const audit = new AuditStack(scope, 'BlockplaneAudit', {
    env,
    description: 'Blockplane audit: spec and assertion tables, spec loader, control-plane asserter, compliance report workflow, alarms',
    reportsBucket: data.reportsBucket,
    volumesTable: data.volumesTable,
    auditedTables: [data.hostsTable, data.hostCommandsTable, data.tenantQuotasTable, diagnostics.diagnosticsTable],
    operatorPrincipalArnPrefix: stringFromContext(scope, CONTEXT.operatorPrincipalArnPrefix),
  });
  const withFleet = flagFromContext(scope, CONTEXT.fleet);
  const health = new HealthStack(scope, 'BlockplaneHealth', {
    env,
    description: 'Blockplane health: health table, evaluator, health bus, webhook queue and deliverer',
    volumesTable: data.volumesTable,
    hostsTable: data.hostsTable,
    modifyVolumeStateMachine: workflows.modifyVolumeStateMachine,
    hostHeartbeatTimeout: Duration.seconds(
      secondsFromContext(scope, CONTEXT.hostHeartbeatTimeoutSeconds, DEFAULT_HOST_HEARTBEAT_TIMEOUT_SECONDS),
    ),
    triggers: { closeAfterGreenSeconds: secondsFromContext(scope, CONTEXT.healthCloseAfterGreenSeconds, 300) },
    operatorPrincipalArnPrefix: stringFromContext(scope, CONTEXT.operatorPrincipalArnPrefix),
    ...(withFleet && { hostProbeFunctionName: props.fleet?.hostProbeFunctionName ?? DEFAULT_HOST_PROBE_FUNCTION_NAME }),
  });
  const hostPrincipalArnPrefix = hostPrincipalArnPrefixFromContext(scope);
  const api = new ApiStack(scope, 'BlockplaneApi', {
    env,
    description: 'Blockplane control plane: REST API (IAM-authorized), its handlers and the storage-host role',
    volumesTable: data.volumesTable,
    hostsTable: data.hostsTable,
    hostCommandsTable: data.hostCommandsTable,
    keySealingKey: data.keySealingKey,
    tenantQuotasTable: data.tenantQuotasTable,
    createVolumeStateMachine: workflows.createVolumeStateMachine,
    deleteVolumeStateMachine: workflows.deleteVolumeStateMachine,
    failoverStateMachine: workflows.failoverStateMachine,
    diagnostics,
    recovery,
    audit,
    health,
    modifyVolumeStateMachine: workflows.modifyVolumeStateMachine,
    console: { buildDir: props.consoleBuildDir ?? path.join(REPO_ROOT, 'console', 'dist') },
    snapshots,
    hostPrincipalArnPrefix,
    storageNetworkCidr: stringFromContext(scope, CONTEXT.storageNetworkCidr),
    hostHeartbeatTimeout: Duration.seconds(
      secondsFromContext(scope, CONTEXT.hostHeartbeatTimeoutSeconds, DEFAULT_HOST_HEARTBEAT_TIMEOUT_SECONDS),
    ),
  });
  const fleet = withFleet
    ? new FleetStack(scope, 'BlockplaneFleet', {
        ...fleetNetworkFromContext(scope, {
          imageParameterKey: CONTEXT.fleetImageParameter,
          vpcKey: CONTEXT.fleetVpc,
          placementGroupKey: CONTEXT.fleetPlacementGroup,
          rackCountKey: CONTEXT.fleetRackCount,
        }),
        ...props.fleet,
        env,
        description: 'Blockplane storage hosts: EC2 Auto Scaling groups with EBS data volumes, QEMU and the agent',
        hostRole: api.hostRole,
        api: { apiId: api.api.restApiId, apiStage: api.api.deploymentStage.stageName, apiUrl: api.api.url },
      })
    : undefined;
  if (fleet && hostPrincipalArnPrefix !== undefined) {
    Annotations.of(fleet).addWarningV2(
      '@blockplane/fleet:host-prefix-overridden',
      `context ${CONTEXT.hostPrincipalArnPrefix} (${hostPrincipalArnPrefix}) replaces the storage-host role's sessions as ` +
        "the hosts' identity: the API will treat this fleet's instances as customers",
    );
  }
  return { data, workflows, api, diagnostics, recovery, snapshots, audit, health, fleet };
}

/** `{ [name]: value }` when the context sets `key` (a whole number, at least 1), else nothing. */
function optionalSeconds(scope: Construct, key: string, name: string): Record<string, number> {
  return scope.node.tryGetContext(key) === undefined ? {} : { [name]: secondsFromContext(scope, key, 1) };
}

/** A whole-number context value under `name`, or nothing when the context does not set it (the stack checks its range). */
function optionalCount(scope: Construct, key: string, name: string): Record<string, number> {
  const raw: unknown = scope.node.tryGetContext(key);
  return raw === undefined ? {} : { [name]: typeof raw === 'number' ? raw : Number(String(raw).trim()) };
}

function secondsFromContext(scope: Construct, key: string, defaultSeconds: number): number {
  const raw: unknown = scope.node.tryGetContext(key);
  if (raw === undefined) return defaultSeconds;
  const seconds = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (!Number.isInteger(seconds) || seconds < 1) {
    throw new Error(`context ${key} must be a whole number of seconds, at least 1; received ${JSON.stringify(raw)}`);
  }
  return seconds;
}

function hostPrincipalArnPrefixFromContext(scope: Construct): string | undefined {
  const raw: unknown = scope.node.tryGetContext(CONTEXT.hostPrincipalArnPrefix);
  if (raw === undefined) return undefined;
  // An empty or odd prefix would make every caller, or no caller, a storage host.
  if (typeof raw !== 'string' || !/^arn:[a-z-]+:(iam|sts)::\d{12}:\S+\/$/.test(raw)) {
    throw new Error(
      `context ${CONTEXT.hostPrincipalArnPrefix} must be an IAM or STS principal ARN prefix ending in '/' ` +
        `(e.g. arn:aws:iam::000000000000:user/blockplane-hosts/); received ${JSON.stringify(raw)}`,
    );
  }
  return raw;
}

function stringFromContext(scope: Construct, key: string): string | undefined {
  const raw: unknown = scope.node.tryGetContext(key);
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw new Error(`context ${key} must be a string; received ${JSON.stringify(raw)}`);
  return raw;
}

function flagFromContext(scope: Construct, key: string): boolean {
  const raw: unknown = scope.node.tryGetContext(key);
  if (raw === undefined || raw === false || raw === 'false') return false;
  if (raw === true || raw === 'true') return true;
  throw new Error(`context ${key} must be true or false; received ${JSON.stringify(raw)}`);
}
