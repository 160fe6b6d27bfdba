import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbHostCommandQueue } from '../../adapters/dynamodb-host-command-queue';
import { DynamoDbHostRepository } from '../../adapters/dynamodb-host-repository';
import { DynamoDbHostSweepStore } from '../../adapters/dynamodb-host-sweep-store';
import { DynamoDbVolumeRepository } from '../../adapters/dynamodb-volume-repository';
import { StepFunctionsFailoverWorkflows } from '../../adapters/step-functions-failover-workflows';
import { StepFunctionsTaskCallbacks } from '../../adapters/step-functions-task-callbacks';
import { ok, type VolumeView } from '../../client/blockplane-api';
import { sweepSilentHostsBatch } from '../../core/use-cases/sweep-silent-hosts';
import { ScriptedHost } from '../../local/scripted-host';
import { deployment, eventually, hostApiAs, volumesAs } from './support/local-cloud';
import { hostAllocation } from './support/tables';

jest.setTimeout(180_000);

/**
 * Issue 6, invariant 5 on the local cloud. The scheduled sweep (EventBridge rule → SweepSilentHosts)
 * runs as deployed, but when its runs fall is up to MiniStack's scheduler (it ticks every 10 s), so
 * the test also runs the sweep's use case itself, with the same adapters against the same tables
 * and state machine, once a second: the outage is then always swept while it lasts. Heartbeats are
 * sent by the test (the scripted hosts only answer commands), so the test decides when the hosts'
 * path to the control plane is down.
 */
const HEARTBEAT_INTERVAL_MS = 1_000;
const OUTAGE_MS = 20_000;
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const sfn = new SFNClient({});
/** The local cloud deploys with hostHeartbeatTimeoutSeconds=6 (local/cloud.sh). */
const HEARTBEAT_TIMEOUT_SECONDS = 6;
const sweepDeps = {
  sweep: new DynamoDbHostSweepStore(deployment.hostsTableName),
  hosts: new DynamoDbHostRepository(deployment.hostsTableName),
  volumes: new DynamoDbVolumeRepository(deployment.volumesTableName),
  failovers: new StepFunctionsFailoverWorkflows(outputs.BlockplaneWorkflows.FailoverStateMachineArn, sfn),
  commands: new DynamoDbHostCommandQueue(deployment.hostCommandsTableName),
  callbacks: new StepFunctionsTaskCallbacks(sfn),
  now: () => new Date(),
  heartbeatTimeoutSeconds: HEARTBEAT_TIMEOUT_SECONDS,
  /** The local cloud deploys with hostCommandTimeoutSeconds=15. */
  commandTimeoutSeconds: 15,
};

/** One full pass of the sweep every second while `running`. */
class Sweeper {
  running = true;
  readonly done: Promise<void>;

  constructor() {
    this.done = this.sweep();
  }

  private async sweep(): Promise<void> {
    while (this.running) {
      while (!(await sweepSilentHostsBatch(sweepDeps)).passComplete);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

async function hostStatus(hostId: string): Promise<string> {
  const { Item } = await documents.send(new GetCommand({ TableName: deployment.hostsTableName, Key: { pk: `HOST#${hostId}`, sk: 'HOST' }, ConsistentRead: true }));
  return String(Item?.status);
}

async function failoversOf(volume: VolumeView): Promise<string[]> {
  const { executions } = await sfn.send(new ListExecutionsCommand({ stateMachineArn: outputs.BlockplaneWorkflows.FailoverStateMachineArn, maxResults: 1000 }));
  return (executions ?? []).map((e) => e.name ?? '').filter((name) => volume.copies.some((c) => name.startsWith(`failover-${c.copyId}`)));
}

/** Heartbeats for one host, every second, while `speaking` says so. */
class Heart {
  speaking = true;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(readonly host: ScriptedHost) {
    this.loop = this.beat();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async beat(): Promise<void> {
    while (this.running) {
      if (this.speaking) ok(await this.host.api.heartbeat(this.host.options.hostId, { health: 'ok' }));
      await new Promise((resolve) => setTimeout(resolve, HEARTBEAT_INTERVAL_MS));
    }
  }
}

describe('a control-plane outage', () => {
  const hosts: ScriptedHost[] = [];
  const hearts: Heart[] = [];
  const sweeper = new Sweeper();
  afterAll(async () => {
    sweeper.running = false;
    await sweeper.done;
    await Promise.all(hearts.map((heart) => heart.stop()));
    await Promise.all(hosts.map((host) => host.stop()));
  });

  test('pins issue 6 invariant 5: when no heartbeat gets through for 20 s and the hosts come back 1 s apart, no host is declared lost; a host that stays silent still is', async () => {
    // Given: three hosts heartbeating, a volume on two of them
    const location = `outage-${randomUUID().slice(0, 8)}`;
    for (const n of [1, 2, 3]) {
      const host = new ScriptedHost(hostApiAs(`h${n}`), { hostId: `${location}-h${n}`, location, address: `10.77.0.${220 + n}`, capacityGiB: 100, iopsCapacity: 20_000, behaviour: 'succeed' });
      await host.register();
      host.start();
      hosts.push(host);
      hearts.push(new Heart(host));
    }
    const tenant = volumesAs('a');
    const created = ok<VolumeView>(await tenant.create({ sizeGiB: 10, type: 'ssd', iops: 3000, location }));
    const volume = await eventually(async () => {
      const seen = ok<VolumeView>(await tenant.get(created.volumeId));
      return seen.status === 'available' ? seen : undefined;
    }, 60_000, 'the volume to become available');

    // When: every host loses its path to the control plane for 20 s, then they come back 1 s apart
    // (the last one within 2 s of the first, plus up to one heartbeat interval: inside one timeout)
    for (const heart of hearts) heart.speaking = false;
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    for (const heart of hearts) {
      heart.speaking = true;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    // Watch for two heartbeat timeouts (6 s each on the local cloud) after the last host is back
    const watchUntil = Date.now() + 12_000;
    while (Date.now() < watchUntil) {
      // Then: nobody was declared lost, no fail-over started, the volume kept both copies
      for (const host of hosts) expect(await hostStatus(host.options.hostId)).toBe('active');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    expect(await failoversOf(volume)).toEqual([]);
    expect(ok<VolumeView>(await tenant.get(volume.volumeId)).status).toBe('available');

    // When: one host that holds no copy goes silent for good
    const spare = hosts.find((host) => !volume.copies.some((c) => c.hostId === host.options.hostId)) as ScriptedHost;
    hearts[hosts.indexOf(spare)].speaking = false;
    // Then: the sweep still declares it lost (bounded wait)
    await eventually(async () => ((await hostStatus(spare.options.hostId)) === 'unreachable' ? true : undefined), 60_000, 'the silent host to be declared lost');
    for (const copy of volume.copies) expect(await hostStatus(copy.hostId)).toBe('active');
    expect((await hostAllocation(spare.options.hostId)).reservations).toBe(0);
  });
});
