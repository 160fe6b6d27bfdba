import { setTimeout as delay } from 'node:timers/promises';
import { KMSClient } from '@aws-sdk/client-kms';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDbHostCommandQueue } from '../../adapters/dynamodb-host-command-queue';
import { createDocumentClient } from '../../adapters/dynamodb-document-client';
import { DynamoDbHostRepository } from '../../adapters/dynamodb-host-repository';
import { DynamoDbModificationRepository } from '../../adapters/dynamodb-modification-repository';
import { DynamoDbPolicyVolumes } from '../../adapters/dynamodb-policy-volumes';
import { StepFunctionsModificationWorkflows } from '../../adapters/step-functions-modification-workflows';
import { DynamoDbHostSweepStore } from '../../adapters/dynamodb-host-sweep-store';
import { DynamoDbTenantRequestQuota } from '../../adapters/dynamodb-tenant-request-quota';
import { DynamoDbVolumeRepository } from '../../adapters/dynamodb-volume-repository';
import { secretsManagerPageTokenSecret } from '../../adapters/secrets-manager-page-token-secret';
import { KmsKeyVault } from '../../adapters/kms-key-vault';
import { StepFunctionsFailoverWorkflows } from '../../adapters/step-functions-failover-workflows';
import { StepFunctionsTaskCallbacks } from '../../adapters/step-functions-task-callbacks';
import { StepFunctionsVolumeWorkflows } from '../../adapters/step-functions-volume-workflows';
import { parseIpv4Cidr } from '../../core/storage-network';

/** The only place that reads the environment: wires adapters for the functions that ask for them. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const documents = createDocumentClient();
const sfn = new SFNClient({});

export const now = (): Date => new Date();
export const sleep = (ms: number): Promise<void> => delay(ms);
export const hostPrincipalArnPrefix = (): string => process.env.HOST_PRINCIPAL_ARN_PREFIX ?? '';

export const volumeRepository = () => new DynamoDbVolumeRepository(required('VOLUMES_TABLE'), documents);
export const hostRepository = () => new DynamoDbHostRepository(required('HOSTS_TABLE'), documents);
export const hostCommandQueue = () => new DynamoDbHostCommandQueue(required('COMMANDS_TABLE'), documents);
export const volumeWorkflows = () =>
  new StepFunctionsVolumeWorkflows(required('CREATE_VOLUME_STATE_MACHINE_ARN'), required('DELETE_VOLUME_STATE_MACHINE_ARN'), sfn);
/** Modification records live in the volumes table (adapters/dynamodb-modification-repository.ts). */
export const modificationRepository = () => new DynamoDbModificationRepository(required('VOLUMES_TABLE'), documents);
export const modificationWorkflows = () => new StepFunctionsModificationWorkflows(required('MODIFY_VOLUME_STATE_MACHINE_ARN'), sfn);
export const policyVolumes = () => new DynamoDbPolicyVolumes(required('VOLUMES_TABLE'), documents);
export const pageTokenSecret = () => secretsManagerPageTokenSecret(required('PAGE_TOKEN_SECRET_ARN'));
export const taskCallbacks = () => new StepFunctionsTaskCallbacks(sfn);
/** Seals and opens PSK keys with the deployment's KMS key (only functions granted kms:Encrypt / kms:Decrypt get `KEYS_KEY_ARN`). */
export const keyVault = () => new KmsKeyVault(required('KEYS_KEY_ARN'), new KMSClient({}));
export const failoverWorkflows = () => new StepFunctionsFailoverWorkflows(required('FAILOVER_STATE_MACHINE_ARN'), sfn);
/** Customer requests one tenant may make per second (TENANT_REQUESTS_PER_SECOND); only customer functions get the table. */
export const tenantRequestQuota = () =>
  process.env.TENANT_QUOTAS_TABLE
    ? new DynamoDbTenantRequestQuota(process.env.TENANT_QUOTAS_TABLE, Number(required('TENANT_REQUESTS_PER_SECOND')), documents)
    : undefined;
/** The block storage hosts' addresses must be in (docs/host-commands.md, "What a host may claim"). */
export const storageNetwork = () => parseIpv4Cidr(required('STORAGE_NETWORK_CIDR'));
/** A host silent this long is lost (default 30 s; the local cloud uses less). */
export const heartbeatTimeoutSeconds = (): number => Number(process.env.HOST_HEARTBEAT_TIMEOUT_SECONDS ?? '30');
export const hostSweepStore = () => new DynamoDbHostSweepStore(required('HOSTS_TABLE'), documents);
/** One scheduled sweep invocation: how long it keeps sweeping and how often it passes over the fleet. */
export const sweepRun = () => ({ runSeconds: Number(required('SWEEP_RUN_SECONDS')), intervalSeconds: Number(required('SWEEP_INTERVAL_SECONDS')) });
/** A waiting host task with no progress for this long has stalled (`hostCommandTimeoutSeconds`, default 300). */
export const hostCommandTimeoutSeconds = (): number => Number(required('HOST_COMMAND_TIMEOUT_SECONDS'));
