import { readFileSync } from 'node:fs';

/** What an API client (the CLI, an agent) needs: BlockplaneApi's outputs. */
export interface ApiEndpoint {
  readonly apiId: string;
  readonly apiStage: string;
  readonly apiUrl: string;
  readonly region: string;
  /** The URL API calls are sent to: the emulator's route when AWS_ENDPOINT_URL is set. */
  readonly baseUrl: string;
}

/** Everything `cdk deploy --outputs-file` names, for tests and local tools that also read tables. */
export interface Deployment extends ApiEndpoint {
  readonly volumesTableName: string;
  readonly hostsTableName: string;
  readonly hostCommandsTableName: string;
  readonly reportsBucketName: string;
  readonly createVolumeStateMachineArn: string;
  readonly deleteVolumeStateMachineArn: string;
}

function output(outputs: Record<string, Record<string, string>>, key: string): string {
  for (const stack of Object.values(outputs)) if (stack[key] !== undefined) return stack[key];
  throw new Error(`output ${key} is missing from the outputs file`);
}

type Outputs = Record<string, Record<string, string>>;
const DEFAULT_OUTPUTS_FILE = 'local/.state/outputs.json';
const readOutputs = (file: string): Outputs => JSON.parse(readFileSync(file, 'utf8')) as Outputs;

function apiEndpointFrom(outputs: Outputs): ApiEndpoint {
  const apiId = output(outputs, 'ApiId');
  const apiStage = output(outputs, 'ApiStage');
  const apiUrl = output(outputs, 'ApiUrl');
  const endpoint = process.env.AWS_ENDPOINT_URL;
  return {
    apiId,
    apiStage,
    apiUrl,
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    baseUrl: endpoint ? `${endpoint.replace(/\/$/, '')}/restapis/${apiId}/${apiStage}/_user_request_` : apiUrl.replace(/\/$/, ''),
  };
}

export function loadApiEndpoint(outputsFile = process.env.BLOCKPLANE_OUTPUTS ?? DEFAULT_OUTPUTS_FILE): ApiEndpoint {
  return apiEndpointFrom(readOutputs(outputsFile));
}

export function loadDeployment(outputsFile = process.env.BLOCKPLANE_OUTPUTS ?? DEFAULT_OUTPUTS_FILE): Deployment {
  const outputs = readOutputs(outputsFile);
  return {
    ...apiEndpointFrom(outputs),
    volumesTableName: output(outputs, 'VolumesTableName'),
    hostsTableName: output(outputs, 'HostsTableName'),
    hostCommandsTableName: output(outputs, 'HostCommandsTableName'),
    reportsBucketName: output(outputs, 'ReportsBucketName'),
    createVolumeStateMachineArn: output(outputs, 'CreateVolumeStateMachineArn'),
    deleteVolumeStateMachineArn: output(outputs, 'DeleteVolumeStateMachineArn'),
  };
}
