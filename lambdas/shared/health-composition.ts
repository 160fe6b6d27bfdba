import { DynamoDbHealthStore } from '../../adapters/dynamodb-health-store';
import { BusAndQueueNoticeDelivery } from '../../adapters/health-notice-delivery';
import { ModificationCopyMover } from '../../adapters/modification-copy-mover';
import { TcpEndpointReach } from '../../adapters/endpoint-reach';
import { ExportHostProbe } from '../../adapters/export-host-probe';
import { LambdaEndpointReach } from '../../adapters/lambda-endpoint-reach';
import { VolumeHealthSources } from '../../adapters/volume-health-sources';
import { createDocumentClient } from '../../adapters/dynamodb-document-client';
import { TriggerSettingsSchema, type TriggerSettings } from '../../core/health/triggers';
import { hostRepository, modificationRepository, modificationWorkflows, now, volumeRepository } from './composition';

/** Wiring for the health functions (docs/health.md): the only place they read the environment. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

const documents = createDocumentClient();

export const healthStore = () => new DynamoDbHealthStore(required('HEALTH_TABLE'), documents);
export const volumeHealthSources = () => new VolumeHealthSources(hostRepository(), volumeRepository());
/**
 * Probes from the fleet's probe function inside the hosts' VPC when the deployment has one
 * (`HOST_PROBE_FUNCTION_NAME`, set with the fleet stack), else from this function.
 */
export const hostProbe = () => {
  const probeFunction = process.env.HOST_PROBE_FUNCTION_NAME;
  return new ExportHostProbe(hostRepository(), volumeRepository(), probeFunction ? new LambdaEndpointReach(probeFunction) : new TcpEndpointReach());
};
export const noticeDelivery = () => new BusAndQueueNoticeDelivery(required('HEALTH_BUS_NAME'), required('WEBHOOK_QUEUE_URL'));
export const copyMover = () =>
  new ModificationCopyMover({ volumes: volumeRepository(), modifications: modificationRepository(), hosts: hostRepository(), workflows: modificationWorkflows(), now });
/** The deployment's triggers (the health stack's `triggers` prop), validated as the stack did. */
export const triggerSettings = (): TriggerSettings => TriggerSettingsSchema.parse(JSON.parse(process.env.HEALTH_TRIGGERS ?? '{}'));
export const operatorPrincipalArnPrefix = (): string => process.env.OPERATOR_PRINCIPAL_ARN_PREFIX ?? '';
