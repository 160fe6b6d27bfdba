/**
 * A local fleet that stays up: `up N` starts N storage hosts (network namespaces, loop-device
 * disks, real agents in the background) against the running local cloud and records them in
 * local/.state/fleet.json; `status` says which agents run and what the control plane thinks of
 * each host; `down` stops the agents and their storage daemons and removes the hosts. The CLI
 * then works by hand as tenant `me` (`eval "$(bash local/fleet.sh env)"`). Run through
 * local/fleet.sh, which deploys the local cloud first.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadDeployment } from '../client/deployment';
import { createLocalIdentities, loadLocalIdentities } from './identities';
import { createLocalHost, destroyLocalHost, startAgent, waitForRegistration, type LocalHost } from './local-fleet';
import { removeStorageBridge } from './storage-network';

const FLEET_FILE = 'local/.state/fleet.json';
const LOCATION = 'local';
export const FLEET_TENANT = 'me';
const MAX_HOSTS = 20;
const AGENT_STOP_TIMEOUT_MS = 15_000;

interface FleetHost {
  readonly number: number;
  readonly hostId: string;
  readonly agentPid: number;
  readonly logFile: string;
}

const say = (line: string): void => void process.stdout.write(`${line}\n`);

function recorded(): FleetHost[] {
  return existsSync(FLEET_FILE) ? (JSON.parse(readFileSync(FLEET_FILE, 'utf8')) as FleetHost[]) : [];
}

function isAgent(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bin/agent.ts');
  } catch {
    return false;
  }
}

async function up(count: number): Promise<void> {
  if (!Number.isInteger(count) || count < 2 || count > MAX_HOSTS) throw new Error(`up N: N must be a whole number from 2 to ${MAX_HOSTS}`);
  if (recorded().some((host) => isAgent(host.agentPid))) throw new Error(`a fleet is already up (${FLEET_FILE}); run: bash local/fleet.sh down`);
  const deployment = loadDeployment();
  const hostNames = Array.from({ length: count }, (_, i) => `fleet${i + 1}`);
  const identities = await createLocalIdentities([FLEET_TENANT], hostNames);
  const fleet: FleetHost[] = [];
  for (const [i, name] of hostNames.entries()) {
    const host = await createLocalHost(i + 1, LOCATION);
    const agent = startAgent(host, identities.hosts[name]!, { detached: true });
    fleet.push({ number: i + 1, hostId: host.hostId, agentPid: agent.pid!, logFile: host.logFile });
    writeFileSync(FLEET_FILE, JSON.stringify(fleet, null, 2));
    await waitForRegistration(host, deployment.hostsTableName);
    say(`host ${host.hostId} at ${host.network.address}: agent pid ${agent.pid}, registered (log ${host.logFile})`);
  }
  say(`${count} hosts up in location '${LOCATION}'. Next: eval "$(bash local/fleet.sh env)"; npx tsx bin/blockplane.ts volumes list`);
}

async function status(): Promise<void> {
  const fleet = recorded();
  if (fleet.length === 0) return say('no fleet is up');
  const deployment = loadDeployment();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  for (const host of fleet) {
    const { Item } = await documents.send(new GetCommand({ TableName: deployment.hostsTableName, Key: { pk: `HOST#${host.hostId}`, sk: 'HOST' } }));
    say(`${host.hostId}: agent ${isAgent(host.agentPid) ? `running (pid ${host.agentPid})` : 'not running'}, control plane: ${String(Item?.status ?? 'unknown')}`);
  }
}

async function stopAgent(pid: number): Promise<void> {
  if (!isAgent(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + AGENT_STOP_TIMEOUT_MS;
  while (isAgent(pid) && Date.now() < deadline) await sleep(200);
  if (isAgent(pid)) process.kill(pid, 'SIGKILL');
}

async function down(): Promise<void> {
  const fleet = recorded();
  for (const entry of fleet) {
    await stopAgent(entry.agentPid);
    const host: LocalHost = await createLocalHost(entry.number, LOCATION);
    await destroyLocalHost(host);
    say(`host ${entry.hostId} removed`);
  }
  await removeStorageBridge();
  rmSync(FLEET_FILE, { force: true });
  say(fleet.length ? 'fleet down' : 'no fleet was up');
}

function env(): void {
  const tenant = loadLocalIdentities().tenants[FLEET_TENANT];
  if (!tenant) throw new Error('no fleet tenant yet; run: bash local/fleet.sh up 3');
  say(`export AWS_ACCESS_KEY_ID=${tenant.accessKeyId}\nexport AWS_SECRET_ACCESS_KEY=${tenant.secretAccessKey}`);
}

async function main(): Promise<void> {
  const [command, count] = process.argv.slice(2);
  if (command === 'up') return up(Number(count ?? 3));
  if (command === 'status') return status();
  if (command === 'down') return down();
  if (command === 'env') return env();
  throw new Error('usage: local/fleet.sh up [N] | status | down | env');
}

main().catch((error: unknown) => {
  process.stderr.write(`fleet: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
