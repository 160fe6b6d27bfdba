import { randomUUID } from 'node:crypto';
import { ok, VolumeApi, type VolumeView } from '../../client/blockplane-api';
import { createLocalIdentities, type Identity, createOperatorIdentity } from '../../local/identities';
import { killHost, startAgent, waitForRegistration, type LocalHost } from '../../local/local-fleet';
import { helpBoxShowsEvent } from './support/help-box-browser';
import { evaluateConcurrently, healthOutputs, setHddReadOnly, WebhookReceiver } from './support/health-fleet';
import { deployment, eventually, httpAs, identities } from './support/local-cloud';
import { LocalFleetVolumes } from './support/local-fleet-volumes';

jest.setTimeout(600_000);

/**
 * Issue 12 on the local fleet: three real storage hosts, volumes of three tenants. A host whose
 * hdd disk turns read-only is yellow: a comment from a tenant on green components stays noise,
 * three correlated comments open an event, and the tenant whose setting is
 * `afterCorrelatedComments: 3, onComponentRed: move` gets its copy moved off by a modification,
 * recorded on the event. A killed host turns red and only the tenants with copies on it get one
 * notice each, under concurrent evaluations; the webhook's signature verifies; the events close
 * with one resolution notice each.
 */
const { evaluateFunctionName } = healthOutputs();
const fleet = new LocalFleetVolumes(`e2e-h${randomUUID().slice(0, 6)}`, new VolumeApi(httpAs(identities.tenants.a)), 'bp-health-');
const receiver = new WebhookReceiver();
/** Tenants of their own per run: a reused one would still own volumes on hosts earlier tests left dead (red in the window), and its comments would count on those. */
let tenants: { a: Identity; b: Identity; c: Identity };
let ops: ReturnType<typeof httpAs>;

interface Notice { readonly noticeId: string; readonly eventId: string; readonly volumeId: string; readonly statusCode: string }
interface EventView { readonly eventId: string; readonly componentId: string; readonly statusCode: string; readonly trigger: { kind: string }; readonly actions: { volumeId: string; action: string; outcome: string; modificationId?: string }[] }
const eventsOf = async (identity: Identity) => ok<{ events: EventView[]; notices: Notice[] }>(await httpAs(identity).request('GET', '/events'));
const levelOf = async (componentId: string) => ok<{ level: string }>(await ops.request('GET', `/health/components/${componentId}`)).level;
const hostOf = (id: string): LocalHost => fleet.hosts.find((host) => host.hostId === id) as LocalHost;

async function volumeOf(identity: Identity, sizeGiB: number): Promise<VolumeView> {
  const api = new VolumeApi(httpAs(identity));
  const created = ok<VolumeView>(await api.create({ location: fleet.location, sizeGiB, type: 'ssd' }));
  return eventually(async () => {
    const volume = ok<VolumeView>(await api.get(created.volumeId));
    return volume.status === 'available' ? volume : undefined;
  }, 120_000, `volume ${created.volumeId} to be available`, 250);
}

async function evaluateUntil<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 90_000): Promise<T> {
  return eventually(async () => {
    await evaluateConcurrently(evaluateFunctionName, 2);
    return probe();
  }, timeoutMs, what, 500);
}

let volumes: { a: VolumeView; b: VolumeView; c: VolumeView };

beforeAll(async () => {
  const run = randomUUID().slice(0, 8);
  const created = (await createLocalIdentities([`health-a-${run}`, `health-b-${run}`, `health-c-${run}`], [])).tenants;
  tenants = { a: created[`health-a-${run}`]!, b: created[`health-b-${run}`]!, c: created[`health-c-${run}`]! };
  ops = httpAs(await createOperatorIdentity('operator-health-e2e'));
  await fleet.start();
  const url = await receiver.start();
  receiver.secret = ok<{ secret: string }>(await httpAs(tenants.a).request('PUT', '/settings/webhook', { url })).secret;
  expect(await httpAs(tenants.c).request('PUT', '/settings/remediation', { default: { onComponentRed: 'move', afterCorrelatedComments: 3 } })).toMatchObject({ status: 200 });
  volumes = { a: await volumeOf(tenants.a, 1), b: await volumeOf(tenants.b, 1), c: await volumeOf(tenants.c, 1) };
  await evaluateConcurrently(evaluateFunctionName, 1);
});

afterAll(async () => {
  await receiver.stop();
  await fleet.stop();
});

const hostsOf = (volume: VolumeView) => volume.copies.map((copy) => copy.hostId);

test('when a host has a read-only disk, a comment on green components is noise, three correlated ones open an event, and the move setting moves the copy off it', async () => {
  // Given a host that holds copies of a and c
  const shared = hostsOf(volumes.a).find((hostId) => hostsOf(volumes.c).includes(hostId));
  expect(shared).toBeDefined();
  const host = hostOf(shared!);
  const quietTenant = (await eventsOf(tenants.b)).notices.length;
  // When c, whose hosts are all green, complains
  const noise = ok<{ verdict: string }>(await httpAs(tenants.c).request('POST', '/comments', { text: 'my volume is slow today', volumeId: volumes.c.volumeId }));
  // And the host's hdd turns read-only
  await setHddReadOnly(host, true);
  let eventId = '';
  try {
    await evaluateUntil(async () => ((await levelOf(`host:${host.hostId}`)) === 'yellow' ? true : undefined), `host ${host.hostId} to be yellow`);
    const verdicts = [];
    for (const identity of [tenants.a, tenants.c, tenants.a]) {
      verdicts.push(ok<{ verdict: string }>(await httpAs(identity).request('POST', '/comments', { text: 'I/O errors and timeouts on my volume' })).verdict);
    }
    // Then
    expect(noise.verdict).toBe('noise');
    expect(verdicts).toEqual(['correlated', 'correlated', 'correlated']);
    const event = await evaluateUntil(async () => (await eventsOf(tenants.c)).events.find((e) => e.componentId === `host:${host.hostId}` && e.actions.length > 0), 'the event with c’s action');
    expect(event).toMatchObject({ statusCode: 'open', trigger: { kind: 'correlated-comments' } });
    eventId = event.eventId;
    expect(event.actions).toEqual([expect.objectContaining({ volumeId: volumes.c.volumeId, action: 'move', modificationId: expect.stringMatching(/^mod-/) })]);
    const moved = await eventually(async () => {
      const volume = ok<VolumeView>(await new VolumeApi(httpAs(tenants.c)).get(volumes.c.volumeId));
      return volume.status === 'available' && !hostsOf(volume).includes(host.hostId) ? volume : undefined;
    }, 180_000, `volume c to leave ${host.hostId}`, 1000);
    expect(hostsOf(moved)).not.toContain(host.hostId);
    volumes.c = moved;
    expect((await eventsOf(tenants.a)).notices.filter((n) => n.eventId === event.eventId).map((n) => n.statusCode)).toEqual(['IMPAIRED']);
    // b is told only when it has a copy there too (notices go to every tenant depending on the component)
    const bThere = hostsOf(volumes.b).includes(host.hostId);
    expect((await eventsOf(tenants.b)).notices.filter((n) => n.eventId === event.eventId).map((n) => n.statusCode)).toEqual(bThere ? ['IMPAIRED'] : []);
    if (!bThere) expect((await eventsOf(tenants.b)).notices).toHaveLength(quietTenant);
  } finally {
    await setHddReadOnly(host, false);
  }
  // When the disk is writable again, the event closes with one resolution notice to a
  const resolvedOf = async () => (await eventsOf(tenants.a)).notices.filter((n) => n.eventId === eventId && n.statusCode === 'RESOLVED');
  await evaluateUntil(async () => ((await resolvedOf()).length > 0 ? true : undefined), 'a resolution notice', 120_000);
  expect(await resolvedOf()).toHaveLength(1);
});

// The kill path: the fail-over moves the copy off the host first, so the tenant is found as a former
// dependent (core/health/dependency-memory.ts).
test('when a host is killed, it turns red and only the tenants with copies on it get one notice each, under concurrent evaluations; the webhook verifies', async () => {
  // Given a host with a's copy and not b's
  const a = ok<VolumeView>(await new VolumeApi(httpAs(tenants.a)).get(volumes.a.volumeId));
  const b = ok<VolumeView>(await new VolumeApi(httpAs(tenants.b)).get(volumes.b.volumeId));
  const target = hostsOf(a).find((hostId) => !hostsOf(b).includes(hostId));
  expect(target).toBeDefined();
  const host = hostOf(target!);
  // Notices are listed by notice id (event id first, a hash), not by time: the new ones are those not seen before
  const seenByA = new Set((await eventsOf(tenants.a)).notices.map((n) => n.noticeId));
  const before = { b: (await eventsOf(tenants.b)).notices.length };
  // When
  killHost(host);
  await evaluateUntil(async () => ((await levelOf(`host:${host.hostId}`)) === 'red' ? true : undefined), `host ${host.hostId} to be red`);
  // And its rack (registered with the agent's --rack) is a group that is not green while a member is red
  const racks = ok<{ components: { componentId: string; level: string }[] }>(await ops.request('GET', '/health/components?kind=rack')).components;
  expect(racks.find((rack) => rack.componentId === `rack:${host.location}.${host.rack}`)?.level).toMatch(/^(yellow|red)$/);
  for (let round = 0; round < 3; round += 1) await evaluateConcurrently(evaluateFunctionName, 4);
  // Then a got exactly one IMPAIRED notice for its volume; b got none
  const afterA = (await eventsOf(tenants.a)).notices.filter((n) => !seenByA.has(n.noticeId));
  const redEvent = (await eventsOf(tenants.a)).events.find((e) => e.componentId === `host:${host.hostId}` && e.statusCode === 'open');
  // A host with an event still open (the first test's) folds the red into it; otherwise a health event opens
  expect(redEvent).toMatchObject({ statusCode: 'open' });
  expect(afterA.filter((n) => n.eventId === redEvent!.eventId && n.statusCode === 'IMPAIRED').map((n) => n.volumeId)).toEqual([a.volumeId]);
  expect((await eventsOf(tenants.b)).notices).toHaveLength(before.b);
  const received = await eventually(async () => {
    const mine = receiver.received.filter((r) => r.body.eventId === redEvent!.eventId);
    return mine.length > 0 ? mine : undefined;
  }, 60_000, 'the webhook notice');
  expect(received.every((r) => r.verified)).toBe(true);
  expect(new Set(receiver.received.map((r) => r.noticeId)).size).toBe(receiver.received.length);
  // And the help box, in headless chromium, shows the open event while "my volume is slow" is typed, before the sentence ends
  const shown = await helpBoxShowsEvent(tenants.a, 'my volume is slow', ' since this morning, what is going on?', redEvent!.eventId);
  expect(shown.textWhenShown).toBe('my volume is slow');
  expect(shown.popup).toContain(a.volumeId);
  // When the host comes back, the event closes with one resolution notice
  startAgent(host, identities.hosts[`h${host.index}`]);
  await waitForRegistration(host, deployment.hostsTableName);
  await evaluateUntil(async () => ((await eventsOf(tenants.a)).events.find((e) => e.eventId === redEvent!.eventId)?.statusCode === 'closed' ? true : undefined), 'the red event to close', 120_000);
  // Fail-over moved a's copy off the dead host first (UNIMPAIRED), then the event resolved: one notice per status
  const statuses = (await eventsOf(tenants.a)).notices.filter((n) => n.eventId === redEvent!.eventId).map((n) => n.statusCode).sort();
  expect(statuses.filter((s) => s === 'RESOLVED')).toHaveLength(1);
  expect(new Set(statuses).size).toBe(statuses.length);
});
