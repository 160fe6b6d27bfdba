/**
 * The command loop and the host controller against a scripted host API (answers chosen per
 * call), with the real command handler: retries of result posts, no retry after 404/409,
 * re-registration on a 404 heartbeat, host health from disks.
 */
import type { HostApi } from '../../../client/blockplane-api';
import type { SignedResponse } from '../../../client/signed-http';
import { CommandHandler } from '../../../agent/commands/command-handler';
import { CommandLoop } from '../../../agent/control-plane/command-loop';
import { ControlPlaneClient } from '../../../agent/control-plane/control-plane-client';
import { HostController } from '../../../agent/control-plane/host-controller';
import type { CopyController } from '../../../agent/controllers/copy-controller';
import type { ChainController } from '../../../agent/controllers/chain-controller';
import type { MirrorController } from '../../../agent/controllers/mirror-controller';
import type { DiskController } from '../../../agent/devices/disk-controller';
import { waitUntil } from '../helpers/copy-fixture';

jest.setTimeout(30_000);

type Answer = SignedResponse | Error;
const answer = (status: number, body: unknown = {}): SignedResponse => ({ status, body, text: JSON.stringify(body) });

/** A HostApi whose answers are scripted per route; the last scripted answer repeats. */
class ScriptedApi {
  readonly calls: Array<{ route: string; body?: unknown }> = [];
  constructor(private readonly script: Record<string, Answer[]>) {}

  private next(route: string, body?: unknown): Promise<SignedResponse> {
    this.calls.push({ route, body });
    const answers = this.script[route] ?? [answer(200)];
    const current = answers.length > 1 ? answers.shift()! : answers[0]!;
    return current instanceof Error ? Promise.reject(current) : new Promise((resolve) => setTimeout(() => resolve(current), 5));
  }
  register(request: Record<string, unknown>) {
    return this.next('register', request);
  }
  heartbeat(_hostId: string, request: Record<string, unknown>) {
    return this.next('heartbeat', request);
  }
  pollCommands() {
    return this.next('poll');
  }
  postResult(_hostId: string, commandId: string, result: Record<string, unknown>) {
    return this.next(`result:${commandId}`, result);
  }
  postProgress(_hostId: string, commandId: string, progress: Record<string, unknown>) {
    return this.next(`progress:${commandId}`, progress);
  }
  count(route: string): number {
    return this.calls.filter((call) => call.route === route).length;
  }
}

/** The handler with no controllers behind it: only commands refused before any controller is reached. */
const handler = () => new CommandHandler({ copies: {} as CopyController, mirrors: {} as MirrorController, chains: {} as ChainController });
const command = (commandId: string) => ({ commandId, type: 'grow-copy', payload: {}, createdAt: new Date().toISOString() });

describe('command loop', () => {
  it('when a command runs for a while, it reports its progress (with the figures its source gives) until the result is posted, then stops', async () => {
    // Given: a command that takes 400 ms; progress every 50 ms; figures that move
    const api = new ScriptedApi({ poll: [answer(200, { commands: [command('cmd-long')] }), answer(200, { commands: [] })] });
    let finish: () => void = () => undefined;
    const slow = { handle: () => new Promise((resolve) => (finish = () => resolve({ status: 'succeeded', result: {} }))) } as unknown as CommandHandler;
    let copied = 0;
    const loop = new CommandLoop({
      client: new ControlPlaneClient(api as unknown as HostApi, 'host-1'),
      handler: slow,
      pollWaitSeconds: 0,
      progressIntervalMs: 50,
      progressOf: async () => ({ current: (copied += 1024), total: 1 << 20 }),
    });
    // When
    loop.start();
    await waitUntil(() => api.count('progress:cmd-long') >= 3, 10_000, 'three progress reports');
    finish();
    await waitUntil(() => api.count('result:cmd-long') >= 1, 10_000, 'the result');
    loop.stop();
    await loop.settled();
    const reports = api.count('progress:cmd-long');
    await new Promise((resolve) => setTimeout(resolve, 200));
    // Then
    const progress = api.calls.filter((call) => call.route === 'progress:cmd-long').map((call) => call.body as { current: number });
    expect(progress[0]).toEqual({ current: 1024, total: 1 << 20 });
    expect(progress.map((p) => p.current)).toEqual([...progress.map((p) => p.current)].sort((a, b) => a - b));
    expect(api.count('progress:cmd-long')).toBe(reports);
  });

  it('when posting a result gets no answer, then 503, it is posted again until it is accepted', async () => {
    // Given
    const api = new ScriptedApi({
      poll: [answer(200, { commands: [command('cmd-a')] }), answer(200, { commands: [] })],
      'result:cmd-a': [new Error('socket hang up'), answer(503, { message: 'busy' }), answer(200)],
    });
    const loop = new CommandLoop({ client: new ControlPlaneClient(api as unknown as HostApi, 'host-1'), handler: handler(), pollWaitSeconds: 0 });
    // When
    loop.start();
    await waitUntil(() => api.count('result:cmd-a') >= 3, 10_000, 'three posts');
    loop.stop();
    await loop.settled();
    // Then
    expect(api.count('result:cmd-a')).toBe(3);
    expect(api.calls.find((call) => call.route === 'result:cmd-a')?.body).toEqual({
      status: 'failed',
      error: { code: 'UnknownCommand', message: expect.stringContaining('unknown command type "grow-copy"') },
    });
  });

  it.each([404, 409])('when posting a result is answered %i, it is not posted again', async (status) => {
    // Given
    const api = new ScriptedApi({ poll: [answer(200, { commands: [command('cmd-b')] }), answer(200, { commands: [] })], 'result:cmd-b': [answer(status, { message: 'no' })] });
    const loop = new CommandLoop({ client: new ControlPlaneClient(api as unknown as HostApi, 'host-1'), handler: handler(), pollWaitSeconds: 0 });
    // When
    loop.start();
    await waitUntil(() => api.count('result:cmd-b') >= 1 && api.count('poll') >= 20, 10_000, 'a post and more polls');
    loop.stop();
    await loop.settled();
    // Then
    expect(api.count('result:cmd-b')).toBe(1);
  });

  it('when the same command is delivered twice, the same outcome is posted twice', async () => {
    const api = new ScriptedApi({ poll: [answer(200, { commands: [command('cmd-c')] }), answer(200, { commands: [command('cmd-c')] }), answer(200, { commands: [] })] });
    const loop = new CommandLoop({ client: new ControlPlaneClient(api as unknown as HostApi, 'host-1'), handler: handler(), pollWaitSeconds: 0 });
    loop.start();
    await waitUntil(() => api.count('result:cmd-c') >= 2, 10_000, 'two posts');
    loop.stop();
    await loop.settled();
    const posts = api.calls.filter((call) => call.route === 'result:cmd-c').map((call) => call.body);
    expect(posts[0]).toEqual(posts[1]);
  });

  it('when polls fail, it polls again after a growing delay and takes commands once it succeeds', async () => {
    const api = new ScriptedApi({ poll: [answer(502), new Error('ECONNREFUSED'), answer(200, { commands: [command('cmd-d')] }), answer(200, { commands: [] })] });
    const loop = new CommandLoop({ client: new ControlPlaneClient(api as unknown as HostApi, 'host-1'), handler: handler(), pollWaitSeconds: 0 });
    const started = Date.now();
    loop.start();
    await waitUntil(() => api.count('result:cmd-d') === 1, 10_000, 'the result after two failed polls');
    loop.stop();
    await loop.settled();
    // 0.5 s then 1 s (±20 %) between the failed polls
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_100);
  });
});

describe('host controller', () => {
  const disks = { reconcileAll: async () => undefined, reports: () => [{ deviceId: 'd1', type: 'ssd', capacityGiB: 10, iopsCapacity: 100, health: 'ok' }] } as unknown as DiskController;
  const copies = { reports: () => [] } as unknown as CopyController;

  it('when registration fails, it is retried until it succeeds; when a heartbeat is answered 404, it registers again', async () => {
    // Given
    const api = new ScriptedApi({ register: [new Error('ECONNREFUSED'), answer(500), answer(200)], heartbeat: [answer(200), answer(404, { message: 'unknown host' }), answer(200)] });
    const host = new HostController({ client: new ControlPlaneClient(api as unknown as HostApi, 'host-1'), location: 'l', address: '10.0.0.1', agentVersion: '0.1.0', disks, copies, heartbeatIntervalMs: 50 });
    // When
    expect(await host.register()).toBe(true);
    host.startHeartbeats();
    await waitUntil(() => api.count('register') >= 4 && api.count('heartbeat') >= 4, 10_000, 'a re-registration');
    await host.stop();
    // Then
    expect(api.calls.filter((call) => call.route === 'register').map((call) => (call.body as { hostId: string }).hostId)).toEqual(['host-1', 'host-1', 'host-1', 'host-1']);
    expect(api.calls.find((call) => call.route === 'heartbeat')?.body).toEqual({ health: 'ok', disks: disks.reports(), copies: [] });
  });

  it('when the agent stops during registration retries, registration gives up at once', async () => {
    const api = new ScriptedApi({ register: [answer(503)] });
    const host = new HostController({ client: new ControlPlaneClient(api as unknown as HostApi, 'host-1'), location: 'l', address: '10.0.0.1', agentVersion: '0.1.0', disks, copies, heartbeatIntervalMs: 50 });
    const registering = host.register();
    await waitUntil(() => api.count('register') >= 2, 10_000, 'two attempts');
    await host.stop();
    expect(await registering).toBe(false);
  });

  it.each([
    [['ok', 'ok'], 'ok'],
    [['ok', 'failed'], 'degraded'],
    [['failed'], 'failing'],
    [[], 'failing'],
  ])('when the disks are %j, the host health is %s', (healths, expected) => {
    const reports = healths.map((health, index) => ({ deviceId: `d${index}`, type: 'ssd' as const, capacityGiB: 1, iopsCapacity: 1, health: health as 'ok' | 'failed' }));
    expect(HostController.healthOf(reports)).toBe(expected);
  });
});
