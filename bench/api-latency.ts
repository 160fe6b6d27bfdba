import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ok, VolumeApi, type VolumeView } from '../client/blockplane-api';
import { loadDeployment } from '../client/deployment';
import { SignedHttp } from '../client/signed-http';
import { createLocalIdentities } from '../local/identities';
import { quantile, timedCalls } from './timed-calls';

/**
 * Per-call latency of the deployed API (signed GET /volumes/{id}: API Gateway → Lambda →
 * DynamoDB) against a baseline measured in the same run: the same item read straight from
 * DynamoDB with the SDK. Prints medians and the ratio.
 */
const CALLS = 100;
const WARM_UP = 10;

async function main(): Promise<void> {
  const deployment = loadDeployment();
  const { tenants } = await createLocalIdentities(['bench'], []);
  const volumes = new VolumeApi(
    new SignedHttp({ baseUrl: deployment.baseUrl, region: deployment.region, credentials: { accessKeyId: tenants.bench.accessKeyId, secretAccessKey: tenants.bench.secretAccessKey } }),
  );
  const volume = ok<VolumeView>(await volumes.create({ sizeGiB: 1, type: 'ssd', location: 'bench-latency' }));
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const getItem = () => documents.send(new GetCommand({ TableName: deployment.volumesTableName, Key: { pk: `VOLUME#${volume.volumeId}`, sk: 'VOLUME' } }));
  const getVolume = async () => ok(await volumes.get(volume.volumeId));

  await timedCalls(WARM_UP, getVolume);
  await timedCalls(WARM_UP, getItem);
  const api = await timedCalls(CALLS, getVolume);
  const baseline = await timedCalls(CALLS, getItem);

  const row = (name: string, s: number[]) => `${name.padEnd(34)} median ${quantile(s, 0.5).toFixed(2)} ms  p90 ${quantile(s, 0.9).toFixed(2)} ms  p99 ${quantile(s, 0.99).toFixed(2)} ms`;
  console.log(`endpoint ${deployment.baseUrl}, ${CALLS} sequential calls each after ${WARM_UP} warm-up calls`);
  console.log(row('GET /volumes/{id} (signed, API)', api));
  console.log(row('DynamoDB GetItem (baseline)', baseline));
  console.log(`ratio API / baseline (median): ${(quantile(api, 0.5) / quantile(baseline, 0.5)).toFixed(1)}x`);
  ok(await volumes.delete(volume.volumeId));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
