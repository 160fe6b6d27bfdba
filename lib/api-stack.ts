import { CfnOutput, Duration, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { BlockplaneFunction } from './blockplane-function';
import { grantOpenKeys, grantSealKeys, keySealingEnvironment } from './key-sealing';
import { CommandPurge } from './command-purge';
import { HOST_REPORT_ROUTES, diagnosticsRoutes } from './diagnostics-routes';
import type { DiagnosticsApiResources } from './diagnostics-stack';
import { HOST_RECOVERY_RESOURCE_PATHS, HOST_RECOVERY_ROUTES, recoveryRoutes } from './recovery-routes';
import type { RecoveryApiResources } from './recovery-stack';
import { HOST_SNAPSHOT_RESOURCE_PATHS, HOST_SNAPSHOT_ROUTES, snapshotRoutes } from './snapshots-routes';
import type { SnapshotsStack } from './snapshots-stack';
import { HOST_AUDIT_ROUTES, auditRoutes } from './audit-routes';
import type { AuditApiResources } from './audit-stack';
import { HEALTH_CUSTOMER_PATH_PREFIXES, healthRoutes } from './health-routes';
import { ConsoleSite, type ConsoleSiteProps } from './console-site';
import { consoleRoutes } from './console-routes';
import type { HealthApiResources } from './health-stack';
import { parseIpv4Cidr } from '../core/storage-network';
import { TABLE_INDEX_REASON, acknowledgeGrantWildcards } from './nag-acknowledgements';

export interface ApiStackProps extends StackProps {
  readonly volumesTable: dynamodb.ITable;
  readonly hostsTable: dynamodb.ITable;
  readonly hostCommandsTable: dynamodb.ITable;
  /** Seals the client keys attach mints; opens keys for the routes that hand them out. */
  readonly keySealingKey: kms.IKey;
  readonly tenantQuotasTable: dynamodb.ITable;
  readonly createVolumeStateMachine: sfn.IStateMachine;
  readonly deleteVolumeStateMachine: sfn.IStateMachine;
  readonly failoverStateMachine: sfn.IStateMachine;
  /**
   * The diagnostics routes' table and bucket (BlockplaneDiagnostics).
   * @default - no diagnostics routes
   */
  readonly diagnostics?: DiagnosticsApiResources;
  /**
   * The recovery routes' table and policy (BlockplaneRecovery).
   * @default - no recovery routes
   */
  readonly recovery?: RecoveryApiResources;
  /**
   * The audit routes' tables, bucket and workflow (BlockplaneAudit).
   * @default - no audit routes
   */
  readonly audit?: AuditApiResources;
  /**
   * The health routes' table and settings (BlockplaneHealth).
   * @default - no health routes
   */
  readonly health?: HealthApiResources;
  readonly modifyVolumeStateMachine: sfn.IStateMachine;
  /**
   * The console (docs/console.md): its build goes to a bucket of this stack, served by `GET /console`.
   * @default - no console
   */
  readonly console?: ConsoleSiteProps;
  /**
   * The snapshots table, bucket and workflows (BlockplaneSnapshots).
   * @default - no snapshot routes
   */
  readonly snapshots?: SnapshotsStack;

  /**
   * Callers whose principal ARN starts with this are storage hosts (`HOST_PRINCIPAL_ARN_PREFIX`);
   * every other authenticated caller is a customer.
   * @default - sessions of the storage-host role this stack creates (`hostRole`):
   *   `arn:<partition>:sts::<account>:assumed-role/<hostRole name>/`
   */
  readonly hostPrincipalArnPrefix?: string;

  /**
   * How long a host may stay silent before it is lost (`HOST_HEARTBEAT_TIMEOUT_SECONDS`).
   * @default Duration.seconds(30)
   */
  readonly hostHeartbeatTimeout?: Duration;

  /**
   * The IPv4 block storage hosts serve NBD in (`STORAGE_NETWORK_CIDR`): a host registering an
   * address outside it, or a loopback or link-local one, is refused.
   * @default '10.0.0.0/16' (BlockplaneFleet's VPC)
   */
  readonly storageNetworkCidr?: string;

  /**
   * Customer requests one tenant may make per second (`TENANT_REQUESTS_PER_SECOND`); more are
   * answered 429 with `Retry-After` by the handlers, whatever the gateway's limits.
   * @default 20
   */
  readonly tenantRequestsPerSecond?: number;

  /**
   * Steady-state requests per second each host route accepts before API Gateway throttles it
   * (method throttling, separate from the customer routes' limits, so customer load never
   * spends the hosts' budget).
   * @default 500
   */
  readonly hostRouteRateLimit?: number;

  /**
   * Burst each host route accepts above its rate.
   * @default 1000
   */
  readonly hostRouteBurstLimit?: number;

  /**
   * Steady-state requests per second each customer route accepts before it throttles (429).
   * @default 100
   */
  readonly throttlingRateLimit?: number;

  /**
   * Requests the stage accepts in a burst above the rate limit.
   * @default 200
   */
  readonly throttlingBurstLimit?: number;
}

/** The stage every route is deployed to (`ApiStage`). */
export const API_STAGE = 'v1';

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One route of docs/control-plane.md, "Functions": its handler and exactly the grants listed there. */
interface Route {
  readonly id: string;
  readonly method: HttpMethod;
  readonly path: string;
  readonly entry: string;
  readonly description: string;
  readonly grant: (fn: BlockplaneFunction) => void;
  /**
   * Variables besides the shared ones, for a handler that builds an adapter needing them
   * (lambdas/shared/composition.ts reads each when the handler module loads).
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /**
   * Served without SigV4 (the help page, the console: static files whose own calls are signed).
   * @default - AWS_IAM like every route
   */
  readonly unauthenticated?: true;
}

const UNAUTHENTICATED_REASONS: Readonly<Record<string, string>> = {
  '/help': 'the help page is static HTML that holds no data; every call it makes (help/suggest, comments) is SigV4-signed with the customer key and authorized as usual',
  '/console':
    'the console is a static build (HTML, scripts, styles) that holds no data; every API call it makes is SigV4-signed with the key the user pastes and authorized as usual',
};

/**
 * The routes a storage host calls (docs/host-commands.md, "Calls the agent makes"), as
 * execute-api resource paths: `*` stands for one path parameter (host id, command id).
 */
export const HOST_ROUTES: readonly { readonly method: HttpMethod; readonly path: string }[] = [
  { method: 'POST', path: '/hosts' },
  { method: 'POST', path: '/hosts/*/heartbeat' },
  { method: 'GET', path: '/hosts/*/commands' },
  { method: 'POST', path: '/hosts/*/commands/*/result' },
  { method: 'POST', path: '/hosts/*/replica-faults' },
  { method: 'POST', path: '/hosts/*/commands/*/progress' },
  ...HOST_REPORT_ROUTES,
  ...HOST_RECOVERY_ROUTES,
  ...HOST_SNAPSHOT_ROUTES,
  ...HOST_AUDIT_ROUTES,
];

/** The host routes as API Gateway resource paths (for their method throttling). */
const HOST_ROUTE_RESOURCE_PATHS: readonly { readonly method: HttpMethod; readonly path: string }[] = [
  { method: 'POST', path: '/hosts' },
  { method: 'POST', path: '/hosts/{hostId}/heartbeat' },
  { method: 'GET', path: '/hosts/{hostId}/commands' },
  { method: 'POST', path: '/hosts/{hostId}/commands/{commandId}/result' },
  { method: 'POST', path: '/hosts/{hostId}/replica-faults' },
  { method: 'POST', path: '/hosts/{hostId}/commands/{commandId}/progress' },
  ...HOST_RECOVERY_RESOURCE_PATHS,
];

/** BlockplaneFleet's VPC. */
export const DEFAULT_STORAGE_NETWORK_CIDR = '10.0.0.0/16';

/** Longest a host may be silent: an hour is already far longer than fail-over is useful. */
const MAX_HEARTBEAT_TIMEOUT_SECONDS = 3_600;

/**
 * The REST API (stage `v1`, every method AWS_IAM), its handler functions
 * (docs/control-plane.md, "Functions" and "Authentication") and the storage-host role: the
 * identity EC2 storage hosts (BlockplaneFleet) run as, whose sessions the API treats as hosts
 * by default and which may call nothing but the host routes.
 */
export class ApiStack extends Stack {
  readonly api: apigw.RestApi;

  /**
   * The storage hosts' IAM role (trusted by EC2): allowed only `execute-api:Invoke` on the
   * host routes of this API's stage. BlockplaneFleet gives it to its instances.
   */
  readonly hostRole: iam.IRole;

  /** `HOST_PRINCIPAL_ARN_PREFIX`, as every handler gets it. */
  readonly hostPrincipalArnPrefix: string;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const {
      volumesTable, hostsTable, hostCommandsTable, tenantQuotasTable, keySealingKey, createVolumeStateMachine, deleteVolumeStateMachine, failoverStateMachine,
      modifyVolumeStateMachine,
    } = props;
    const heartbeatTimeoutSeconds = (props.hostHeartbeatTimeout ?? Duration.seconds(30)).toSeconds();
    if (!Number.isInteger(heartbeatTimeoutSeconds) || heartbeatTimeoutSeconds < 1 || heartbeatTimeoutSeconds > MAX_HEARTBEAT_TIMEOUT_SECONDS) {
      throw new Error(
        `hostHeartbeatTimeout must be a whole number of seconds from 1 to ${MAX_HEARTBEAT_TIMEOUT_SECONDS}; ` +
          `received ${heartbeatTimeoutSeconds}`,
      );
    }

    const storageNetworkCidr = props.storageNetworkCidr ?? DEFAULT_STORAGE_NETWORK_CIDR;
    parseIpv4Cidr(storageNetworkCidr);

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention: logs.RetentionDays.ONE_MONTH });
    this.api = new apigw.RestApi(this, 'RestApi', {
      description: 'Blockplane control plane: volumes and storage hosts',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // Stage logging needs the account's API Gateway CloudWatch role; the stack sets it.
      cloudWatchRole: true,
      // Every method, including any added later, requires SigV4 (docs/control-plane.md, "Authentication").
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: API_STAGE,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        tracingEnabled: true,
        throttlingRateLimit: props.throttlingRateLimit ?? 100,
        throttlingBurstLimit: props.throttlingBurstLimit ?? 200,
        // Each host route throttled on its own budget (the stage's limits above apply to each customer route).
        methodOptions: Object.fromEntries(
          [...HOST_ROUTE_RESOURCE_PATHS, ...(props.snapshots ? HOST_SNAPSHOT_RESOURCE_PATHS : [])].map((route) => [
            `${route.path}/${route.method}`,
            {
              throttlingRateLimit: props.hostRouteRateLimit ?? 500,
              throttlingBurstLimit: props.hostRouteBurstLimit ?? 1000,
              loggingLevel: apigw.MethodLoggingLevel.ERROR,
              dataTraceEnabled: false,
            },
          ]),
        ),
      },
    });
    // Rejects a request missing a declared path parameter before any Lambda runs. Bodies have no
    // API Gateway model: each handler validates its body with zod, so body validation checks
    // nothing until a method declares a model.
    const validator = this.api.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    addJsonGatewayResponses(this.api);

    const hostRole = new iam.Role(this, 'StorageHostRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Blockplane storage hosts (BlockplaneFleet instances): may call only the host routes of the API',
    });
    const hostRouteArns = HOST_ROUTES.map((route) => this.api.arnForExecuteApi(route.method, route.path, API_STAGE));
    hostRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['execute-api:Invoke'], resources: hostRouteArns }));
    acknowledgeGrantWildcards(hostRole, {
      arns: hostRouteArns.filter((_, index) => HOST_ROUTES[index].path.includes('*')),
      suffix: '',
      reason:
        'each * is one path parameter (host id, command id) of a host route; a host can only name itself because ' +
        'the handlers bind a host id to the principal that registered it and answer any other caller 403',
    });
    this.hostRole = hostRole;
    this.hostPrincipalArnPrefix =
      props.hostPrincipalArnPrefix ?? `arn:${this.partition}:sts::${this.account}:assumed-role/${hostRole.roleName}/`;

    const environment = {
      VOLUMES_TABLE: volumesTable.tableName,
      HOSTS_TABLE: hostsTable.tableName,
      COMMANDS_TABLE: hostCommandsTable.tableName,
      CREATE_VOLUME_STATE_MACHINE_ARN: createVolumeStateMachine.stateMachineArn,
      DELETE_VOLUME_STATE_MACHINE_ARN: deleteVolumeStateMachine.stateMachineArn,
      HOST_PRINCIPAL_ARN_PREFIX: this.hostPrincipalArnPrefix,
    };
    // Signs page tokens (core/page-token.ts); only the function that lists reads it.
    const pageTokenSecret = new secretsmanager.Secret(this, 'PageTokenSecret', {
      description: 'HMAC key for the page tokens of GET /volumes',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    Validations.of(pageTokenSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'an HMAC key for page tokens, not a credential: rotating it only invalidates the nextToken values in flight, ' +
        'and replacing the secret (a redeploy) does the same when it is wanted',
    });
    const failoverEnvironment = { FAILOVER_STATE_MACHINE_ARN: failoverStateMachine.stateMachineArn };
    const sealing = keySealingEnvironment(keySealingKey);
    const tenantRequestsPerSecond = props.tenantRequestsPerSecond ?? 20;
    if (!Number.isInteger(tenantRequestsPerSecond) || tenantRequestsPerSecond < 1) {
      throw new Error(`tenantRequestsPerSecond must be a whole number, at least 1; received ${tenantRequestsPerSecond}`);
    }
    const quotaEnvironment = { TENANT_QUOTAS_TABLE: tenantQuotasTable.tableName, TENANT_REQUESTS_PER_SECOND: String(tenantRequestsPerSecond) };
    // Report routes serve hosts too; the handlers count only customer calls against the tenant's limit.
    const isCustomerRoute = (route: Route) =>
      !route.unauthenticated &&
      (route.path.startsWith('/volumes') || route.path.startsWith('/reports') || route.path.startsWith('/snapshots') || HEALTH_CUSTOMER_PATH_PREFIXES.some((prefix) => route.path.startsWith(prefix)));
    const routes: Route[] = [
      {
        id: 'CreateVolume', method: 'POST', path: '/volumes', entry: 'lambdas/api/create-volume.ts',
        description: 'Creates a volume (or restores one from a snapshot) and starts its create-volume workflow',
        // A volume restored from a snapshot: the handler reads the snapshot record it names.
        environment: props.snapshots ? { SNAPSHOTS_TABLE: props.snapshots.snapshotsTable.tableName } : {},
        grant: (fn) => {
          volumesTable.grantReadWriteData(fn);
          createVolumeStateMachine.grantStartExecution(fn);
          if (props.snapshots) {
            props.snapshots.snapshotsTable.grantReadData(fn);
            acknowledgeGrantWildcards(fn, { arns: [props.snapshots.snapshotsTable.tableArn], suffix: '/index/*', reason: TABLE_INDEX_REASON });
          }
        },
      },
      {
        id: 'ListVolumes', method: 'GET', path: '/volumes', entry: 'lambdas/api/list-volumes.ts',
        description: "Lists the caller's volumes",
        environment: { PAGE_TOKEN_SECRET_ARN: pageTokenSecret.secretArn },
        grant: (fn) => {
          volumesTable.grantReadData(fn);
          pageTokenSecret.grantRead(fn);
        },
      },
      {
        id: 'GetVolume', method: 'GET', path: '/volumes/{volumeId}', entry: 'lambdas/api/get-volume.ts',
        description: "Describes one of the caller's volumes (a restore's progress from its fill commands)",
        grant: (fn) => {
          volumesTable.grantReadData(fn);
          hostCommandsTable.grantReadData(fn);
        },
      },
      {
        id: 'DeleteVolume', method: 'DELETE', path: '/volumes/{volumeId}', entry: 'lambdas/api/delete-volume.ts',
        description: 'Marks a volume deleting and starts its delete-volume workflow',
        grant: (fn) => {
          volumesTable.grantReadWriteData(fn);
          deleteVolumeStateMachine.grantStartExecution(fn);
        },
      },
      {
        id: 'CreateModification', method: 'POST', path: '/volumes/{volumeId}/modifications', entry: 'lambdas/api/create-modification.ts',
        description: "Plans a change of a volume's size, IOPS, type or location (or merges it into the one in flight) and starts its workflow",
        environment: { MODIFY_VOLUME_STATE_MACHINE_ARN: modifyVolumeStateMachine.stateMachineArn },
        grant: (fn) => {
          volumesTable.grantReadWriteData(fn);
          hostsTable.grantReadData(fn);
          modifyVolumeStateMachine.grantStartExecution(fn);
        },
      },
      {
        id: 'ListModifications', method: 'GET', path: '/volumes/{volumeId}/modifications', entry: 'lambdas/api/list-modifications.ts',
        description: "Lists a volume's modifications, newest first, with progress",
        environment: { PAGE_TOKEN_SECRET_ARN: pageTokenSecret.secretArn },
        grant: (fn) => {
          volumesTable.grantReadData(fn);
          hostCommandsTable.grantReadData(fn);
          pageTokenSecret.grantRead(fn);
        },
      },
      {
        id: 'GetModification', method: 'GET', path: '/volumes/{volumeId}/modifications/{modificationId}', entry: 'lambdas/api/get-modification.ts',
        description: 'Describes one modification with its progress',
        grant: (fn) => {
          volumesTable.grantReadData(fn);
          hostCommandsTable.grantReadData(fn);
        },
      },
      {
        id: 'CancelModification', method: 'DELETE', path: '/volumes/{volumeId}/modifications/{modificationId}', entry: 'lambdas/api/cancel-modification.ts',
        description: 'Cancels a modification before its cutover (its workflow rolls it back)',
        grant: (fn) => volumesTable.grantReadWriteData(fn),
      },
      {
        id: 'SetVolumePolicy', method: 'PUT', path: '/volumes/{volumeId}/policy', entry: 'lambdas/api/set-volume-policy.ts',
        description: "Replaces a volume's automatic-adjustment policy",
        grant: (fn) => volumesTable.grantReadWriteData(fn),
      },
      {
        id: 'ReportUtilization', method: 'POST', path: '/volumes/{volumeId}/utilization', entry: 'lambdas/api/report-utilization.ts',
        description: "Stores how much of a volume's filesystem is used, for the auto-adjust evaluation",
        grant: (fn) => volumesTable.grantReadWriteData(fn),
      },
      {
        id: 'AttachVolume', method: 'POST', path: '/volumes/{volumeId}/attachments', entry: 'lambdas/api/attach-volume.ts',
        description: "Attaches one of the caller's volumes: its NBD endpoint and a client key minted for this attachment",
        environment: sealing,
        // Waits (bounded, 12 s) for the primary to admit the new key before it answers.
        timeout: Duration.seconds(20),
        grant: (fn) => {
          volumesTable.grantReadWriteData(fn);
          hostCommandsTable.grantReadWriteData(fn);
          grantSealKeys(keySealingKey, fn);
        },
      },
      {
        id: 'GetAttachment', method: 'GET', path: '/volumes/{volumeId}/attachments/{attachmentId}',
        entry: 'lambdas/api/get-attachment.ts',
        description: "Describes an attachment of one of the caller's volumes, with its current client key",
        environment: sealing,
        grant: (fn) => {
          volumesTable.grantReadData(fn);
          grantOpenKeys(keySealingKey, fn);
        },
      },
      {
        id: 'DetachVolume', method: 'DELETE', path: '/volumes/{volumeId}/attachments/{attachmentId}',
        entry: 'lambdas/api/detach-volume.ts',
        description: "Ends an attachment of one of the caller's volumes and revokes its key on the primary",
        grant: (fn) => {
          volumesTable.grantReadWriteData(fn);
          hostCommandsTable.grantReadWriteData(fn);
        },
      },
      {
        id: 'RegisterHost', method: 'POST', path: '/hosts', entry: 'lambdas/api/register-host.ts',
        description: 'Registers a storage host, binds it to the calling principal and recovers the copies it lost',
        environment: { ...failoverEnvironment, STORAGE_NETWORK_CIDR: storageNetworkCidr },
        grant: (fn) => {
          hostsTable.grantReadWriteData(fn);
          volumesTable.grantReadData(fn);
          hostCommandsTable.grantReadWriteData(fn);
          failoverStateMachine.grantStartExecution(fn);
        },
      },
      {
        id: 'RecordHeartbeat', method: 'POST', path: '/hosts/{hostId}/heartbeat', entry: 'lambdas/api/record-heartbeat.ts',
        description: "Records a storage host's heartbeat and starts fail-over for the copies it reports lost",
        environment: failoverEnvironment,
        grant: (fn) => {
          hostsTable.grantReadWriteData(fn);
          volumesTable.grantReadData(fn);
          failoverStateMachine.grantStartExecution(fn);
        },
      },
      {
        id: 'ReportReplicaFault', method: 'POST', path: '/hosts/{hostId}/replica-faults', entry: 'lambdas/api/report-replica-fault.ts',
        description: "A primary's mirror stopped taking writes: marks the mirror out of date at a new generation, then starts its replacement",
        environment: failoverEnvironment,
        grant: (fn) => {
          hostsTable.grantReadData(fn);
          volumesTable.grantReadWriteData(fn);
          failoverStateMachine.grantStartExecution(fn);
        },
      },
      {
        id: 'PollCommands', method: 'GET', path: '/hosts/{hostId}/commands', entry: 'lambdas/api/poll-commands.ts',
        description: "Long-polls (up to 20 s) for a storage host's pending commands",
        // Above the 20 s long poll, below API Gateway's 29 s integration timeout.
        timeout: Duration.seconds(28),
        // With the recovery routes, an admin export's key is delivered from the recovery table (read only).
        environment: props.recovery ? { ...sealing, RECOVERY_TABLE: props.recovery.recoveryEnvironment.RECOVERY_TABLE as string } : sealing,
        grant: (fn) => {
          hostsTable.grantReadData(fn);
          hostCommandsTable.grantReadWriteData(fn);
          volumesTable.grantReadData(fn);
          if (props.recovery) {
            props.recovery.recoveryTable.grantReadData(fn);
            acknowledgeGrantWildcards(fn, { arns: [props.recovery.recoveryTable.tableArn], suffix: '/index/*', reason: TABLE_INDEX_REASON });
          }
          grantOpenKeys(keySealingKey, fn);
        },
      },
      {
        id: 'CompleteCommand', method: 'POST', path: '/hosts/{hostId}/commands/{commandId}/result',
        entry: 'lambdas/api/complete-command.ts',
        description: 'Records a command result and answers the waiting workflow task',
        grant: (fn) => {
          hostsTable.grantReadData(fn);
          hostCommandsTable.grantReadWriteData(fn);
          createVolumeStateMachine.grantTaskResponse(fn);
          deleteVolumeStateMachine.grantTaskResponse(fn);
          failoverStateMachine.grantTaskResponse(fn);
          modifyVolumeStateMachine.grantTaskResponse(fn);
          props.snapshots?.snapshotStateMachine.grantTaskResponse(fn);
        },
      },
      {
        id: 'ReportCommandProgress', method: 'POST', path: '/hosts/{hostId}/commands/{commandId}/progress',
        entry: 'lambdas/api/report-command-progress.ts',
        description: 'Records progress on a running command and heartbeats the waiting workflow task',
        grant: (fn) => {
          hostsTable.grantReadData(fn);
          hostCommandsTable.grantReadWriteData(fn);
          createVolumeStateMachine.grantTaskResponse(fn);
          deleteVolumeStateMachine.grantTaskResponse(fn);
          failoverStateMachine.grantTaskResponse(fn);
          modifyVolumeStateMachine.grantTaskResponse(fn);
          props.snapshots?.snapshotStateMachine.grantTaskResponse(fn);
        },
      },
      ...(props.diagnostics ? diagnosticsRoutes(props.diagnostics, hostsTable) : []),
      ...(props.recovery
        ? recoveryRoutes(props.recovery, { volumesTable, hostsTable, hostCommandsTable, keySealingKey, failoverStateMachine, deleteVolumeStateMachine })
        : []),
      ...(props.snapshots ? snapshotRoutes({ snapshots: props.snapshots, volumesTable, hostsTable, pageTokenSecret }) : []),
      ...(props.audit ? auditRoutes(props.audit, hostsTable) : []),
      ...(props.health ? healthRoutes(props.health, { volumesTable, hostsTable }) : []),
      ...(props.console ? consoleRoutes(new ConsoleSite(this, 'ConsoleSite', props.console).bucket) : []),
    ];

    for (const route of routes) {
      const fn = new BlockplaneFunction(this, route.id, {
        entry: route.entry,
        description: route.description,
        timeout: route.timeout,
        environment: { ...environment, ...route.environment, ...(isCustomerRoute(route) ? quotaEnvironment : {}) },
      });
      route.grant(fn);
      if (isCustomerRoute(route)) tenantQuotasTable.grantReadWriteData(fn);
      const method = this.api.root.resourceForPath(route.path).addMethod(
        route.method,
        new apigw.LambdaIntegration(fn.function, { allowTestInvoke: false }),
        {
          ...(route.unauthenticated ? { authorizationType: apigw.AuthorizationType.NONE } : {}),
          requestValidator: validator,
          requestParameters: Object.fromEntries(pathParameters(route.path).map((name) => [`method.request.path.${name}`, true])),
        },
      );
      if (route.unauthenticated) {
        const reason = UNAUTHENTICATED_REASONS[`/${route.path.split('/')[1]}`];
        if (reason === undefined) throw new Error(`route ${route.id} is unauthenticated without a reason in UNAUTHENTICATED_REASONS`);
        Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
      }
    }

    const purge = new CommandPurge(this, 'CommandPurge', { hostCommandsTable });

    acknowledgeGrantWildcards(this, {
      arns: [volumesTable.tableArn, hostsTable.tableArn, hostCommandsTable.tableArn],
      suffix: '/index/*',
      reason: TABLE_INDEX_REASON,
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'every method uses AWS_IAM (SigV4) authorization as the contract requires: customers and storage hosts are ' +
        'IAM principals, and the handlers tell them apart by principal ARN; there is no Cognito user pool',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'only SigV4-signed requests from IAM principals reach an integration, and the stage throttles by default; ' +
        'a WAFv2 web ACL adds cost and is not available on the local cloud',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "the account-level role API Gateway uses to write stage logs; AWS maintains this service-role policy for exactly that",
    });

    new CfnOutput(this, 'ApiId', { value: this.api.restApiId });
    new CfnOutput(this, 'ApiStage', { value: this.api.deploymentStage.stageName });
    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'PurgeFinishedCommandsFunctionName', { value: purge.function.function.functionName });
  }
}

/** `{volumeId}` and the like, in order. */
function pathParameters(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
}

/**
 * Errors API Gateway answers itself (a missing or bad signature, throttling, an integration
 * failure) in the same `{code, message, details}` shape as the handlers' errors.
 */
function addJsonGatewayResponses(api: apigw.RestApi): void {
  const body = JSON.stringify({
    code: '$context.error.responseType',
    message: '__MESSAGE__',
    details: { requestId: '$context.requestId' },
  }).replace('"__MESSAGE__"', '$context.error.messageString');
  for (const [id, type] of [
    ['Default4xx', apigw.ResponseType.DEFAULT_4XX],
    ['Default5xx', apigw.ResponseType.DEFAULT_5XX],
  ] as const) {
    api.addGatewayResponse(id, { type, templates: { 'application/json': body } });
  }
}
