import { readFileSync } from 'node:fs';

/** What a client needs from `cdk deploy --outputs-file`. */
export interface Deployment {
  readonly apiId: string;
  readonly apiStage: string;
  readonly apiUrl: string;
  readonly volumesTableName: string;
  readonly hostsTableName: string;
  readonly hostCommandsTableName: string;
  readonly reportsBucketName: string;
  readonly createVolumeStateMachineArn: string;
  readonly deleteVolumeStateMachineArn: string;
  readonly region: string;
  /** The URL API calls are sent to: the emulator's route when AWS_ENDPOINT_URL is set. */
  readonly baseUrl: string;
}

function output(outputs: Record<string, Record<string, string>>, key: string): string {
  for (const stack of Object.values(outputs)) if (stack[key] !== undefined) return stack[key];
  throw new Error(`output ${key} is missing from the outputs file`);
}

export function loadDeployment(outputsFile = process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json'): Deployment {
  const outputs = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
  const apiId = output(outputs, 'ApiId');
  const apiStage = output(outputs, 'ApiStage');
  const apiUrl = output(outputs, 'ApiUrl');
  const endpoint = process.env.AWS_ENDPOINT_URL;
  return {
    apiId,
    apiStage,
    apiUrl,
    volumesTableName: output(outputs, 'VolumesTableName'),
    hostsTableName: output(outputs, 'HostsTableName'),
    hostCommandsTableName: output(outputs, 'HostCommandsTableName'),
    reportsBucketName: output(outputs, 'ReportsBucketName'),
    createVolumeStateMachineArn: output(outputs, 'CreateVolumeStateMachineArn'),
    deleteVolumeStateMachineArn: output(outputs, 'DeleteVolumeStateMachineArn'),
    region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    baseUrl: endpoint ? `${endpoint.replace(/\/$/, '')}/restapis/${apiId}/${apiStage}/_user_request_` : apiUrl.replace(/\/$/, ''),
  };
}
