import { GetUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDbHealthStore } from '../../adapters/dynamodb-health-store';
import { ok } from '../../client/blockplane-api';
import { loadDeployment } from '../../client/deployment';
import { SignedHttp } from '../../client/signed-http';
import { openEvent, type HealthEvent } from '../../core/health/health-event';
import { createLocalIdentities } from '../../local/identities';
import { quantile, timedCalls } from '../timed-calls';

/**
 * POST /help/suggest latency (docs/health.md, "Help box"): a tenant typing "my volume is slow"
 * with no open event, then with OPEN_EVENTS open events on its volumes (written through the
 * health store adapter, as the evaluator writes them), sequential signed calls through the API.
 * The ratio is against the no-event baseline measured in the same run; the goal is 100 ms.
 */
const CALLS = 40;
const WARM_UP = 5;
/** Between calls, not timed: the API limits each tenant's request rate (429 otherwise). */
const PAUSE_MS = 250;
const OPEN_EVENTS = 5;
const TEXT = 'my volume is slow';

async function main(): Promise<void> {
  const deployment = loadDeployment();
  const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
  const store = new DynamoDbHealthStore(outputs.BlockplaneHealth.HealthTableName);
  const name = `bench-help-${randomUUID().slice(0, 6)}`;
  const { tenants } = await createLocalIdentities([name], []);
  const identity = tenants[name];
  const tenantId = (await new IAMClient({}).send(new GetUserCommand({ UserName: identity.arn.split('/').pop() }))).User?.UserId;
  if (!tenantId) throw new Error(`no user id for ${identity.arn}`);
  const http = new SignedHttp({ baseUrl: deployment.baseUrl, region: deployment.region, credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey } });
  let shown = 0;
  const suggestCall = async () => {
    shown = ok<{ suggestions: unknown[] }>(await http.request('POST', '/help/suggest', { text: TEXT })).suggestions.length;
  };

  await timedCalls(WARM_UP, suggestCall, PAUSE_MS);
  const none = await timedCalls(CALLS, suggestCall, PAUSE_MS);
  const shownWithNone = shown;
  const events: HealthEvent[] = [];
  for (let i = 0; i < OPEN_EVENTS; i++) {
    const componentId = `host:${name}-h${i}`;
    const opened = await store.openEvent(openEvent(componentId, 'bench-help', 'red', { kind: 'health', componentId, reasons: ['bench'] }, new Date()));
    const volumeId = `vol-${randomUUID().replace(/-/g, '').slice(0, 17)}`;
    const at = new Date().toISOString();
    const event = { ...opened, affectedEntities: [{ entityValue: volumeId, tenantId, statusCode: 'IMPAIRED' as const, lastUpdatedTime: at }], version: opened.version + 1 };
    await store.saveEvent(event);
    events.push(event);
  }
  await timedCalls(WARM_UP, suggestCall, PAUSE_MS);
  const open = await timedCalls(CALLS, suggestCall, PAUSE_MS);
  const shownWithOpen = shown;
  for (const event of events) {
    const at = new Date().toISOString();
    await store.saveEvent({ ...event, statusCode: 'closed', endTime: at, lastUpdatedTime: at, affectedEntities: event.affectedEntities.map((e) => ({ ...e, statusCode: 'RESOLVED' as const, lastUpdatedTime: at })), version: event.version + 1 });
  }

  const row = (label: string, s: number[]) => `${label.padEnd(40)} median ${quantile(s, 0.5).toFixed(1)} ms  p90 ${quantile(s, 0.9).toFixed(1)} ms  p99 ${quantile(s, 0.99).toFixed(1)} ms`;
  console.log(`endpoint ${deployment.baseUrl}, ${CALLS} sequential signed calls (250 ms apart) each after ${WARM_UP} warm-up calls, text ${JSON.stringify(TEXT)}`);
  console.log(row(`no open event (baseline, ${shownWithNone} shown)`, none));
  console.log(row(`${OPEN_EVENTS} open events (${shownWithOpen} shown)`, open));
  console.log(`ratio open / none (median): ${(quantile(open, 0.5) / quantile(none, 0.5)).toFixed(2)}x; p99 with open events ${quantile(open, 0.99) <= 100 ? 'within' : 'over'} 100 ms`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
