/**
 * QmpClient against a scripted fake monitor on a unix socket: the protocol paths that a real
 * daemon cannot be made to take on demand (silence, events racing answers, a dropped socket).
 * The real-daemon paths are covered by the qsd and copies tests.
 */
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { QmpCommandError, QmpConnectionClosedError, QmpEventTimeoutError, QmpTimeoutError } from '../../../agent/errors';
import { QmpClient } from '../../../agent/qmp/qmp-client';

type Script = (command: { execute: string; id: string; arguments?: Record<string, unknown> }, reply: (message: object) => void, socket: net.Socket) => void;

const GREETING = { QMP: { version: { qemu: { major: 7, minor: 2, micro: 22 } }, capabilities: [] } };

async function fakeMonitor(script: Script): Promise<{ socketPath: string; close: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bp-qmp-'));
  const socketPath = path.join(dir, 'qmp.sock');
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const reply = (message: object): void => void socket.write(JSON.stringify(message) + '\r\n');
    reply(GREETING);
    let buffer = '';
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const command = JSON.parse(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        if (command.execute === 'qmp_capabilities') reply({ return: {}, id: command.id });
        else script(command, reply, socket);
        newline = buffer.indexOf('\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

const event = (name: string, data: object) => ({ event: name, data, timestamp: { seconds: 1, microseconds: 2 } });

describe('QmpClient', () => {
  let monitor: Awaited<ReturnType<typeof fakeMonitor>> | undefined;
  let client: QmpClient | undefined;

  afterEach(async () => {
    client?.close();
    await monitor?.close();
    client = undefined;
    monitor = undefined;
  });

  it('when QEMU answers with an error, it rejects with a QmpCommandError carrying class and desc', async () => {
    // Prepare
    monitor = await fakeMonitor((command, reply) =>
      reply({ error: { class: 'GenericError', desc: "Node 'vol' is busy" }, id: command.id }),
    );
    client = await QmpClient.connect(monitor.socketPath);
    // Act
    const result = client.execute('blockdev-del', { 'node-name': 'vol' });
    // Assess
    await expect(result).rejects.toBeInstanceOf(QmpCommandError);
    await expect(result).rejects.toMatchObject({ command: 'blockdev-del', errorClass: 'GenericError', desc: "Node 'vol' is busy" });
  });

  it('when QEMU never answers, it rejects with a QmpTimeoutError after the call timeout and ignores the late answer', async () => {
    // Prepare: answer only the second command
    let seen = 0;
    monitor = await fakeMonitor((command, reply) => {
      seen += 1;
      if (seen === 2) reply({ return: { ok: true }, id: command.id });
    });
    client = await QmpClient.connect(monitor.socketPath);
    // Act
    const started = Date.now();
    const silent = client.execute('query-jobs', undefined, { timeoutMs: 150 });
    // Assess
    await expect(silent).rejects.toBeInstanceOf(QmpTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    await expect(client.execute('query-jobs', undefined, { timeoutMs: 1000 })).resolves.toEqual({ ok: true });
  });

  it('when the event arrives before the command answer, executeAndWaitForEvent still resolves with it', async () => {
    // Prepare: the monitor emits the event first, then answers
    monitor = await fakeMonitor((command, reply) => {
      reply(event('BLOCK_EXPORT_DELETED', { id: 'exp-1' }));
      reply({ return: {}, id: command.id });
    });
    client = await QmpClient.connect(monitor.socketPath);
    // Act
    const { event: seen } = await client.executeAndWaitForEvent(
      'block-export-del',
      { id: 'exp-1' },
      (candidate) => candidate.event === 'BLOCK_EXPORT_DELETED' && candidate.data.id === 'exp-1',
      { eventTimeoutMs: 1000 },
    );
    // Assess
    expect(seen).toMatchObject({ event: 'BLOCK_EXPORT_DELETED', data: { id: 'exp-1' }, seq: 1 });
  });

  it('when a waiter starts after the event but gives the earlier sequence number, it finds the event in the history', async () => {
    // Prepare
    monitor = await fakeMonitor((command, reply) => {
      reply({ return: {}, id: command.id });
      reply(event('BLOCK_JOB_READY', { device: 'job-1' }));
    });
    client = await QmpClient.connect(monitor.socketPath);
    const before = client.lastEventSeq;
    const emitted: string[] = [];
    client.on('BLOCK_JOB_READY', (seen) => emitted.push(seen.data.device));
    // Act
    await client.execute('blockdev-mirror', {});
    const late = await client.waitForEvent((seen) => seen.event === 'BLOCK_JOB_READY', 1000, { afterSeq: before });
    // Assess
    expect(late.data.device).toBe('job-1');
    expect(emitted).toEqual(['job-1']);
    // without the sequence number only future events count
    await expect(client.waitForEvent((seen) => seen.event === 'BLOCK_JOB_READY', 20)).rejects.toBeInstanceOf(QmpEventTimeoutError);
  });

  it('when no matching event arrives, waitForEvent rejects with a QmpEventTimeoutError', async () => {
    monitor = await fakeMonitor(() => undefined);
    client = await QmpClient.connect(monitor.socketPath);
    await expect(client.waitForEvent(() => true, 50, { description: 'BLOCK_JOB_READY(x)' })).rejects.toBeInstanceOf(QmpEventTimeoutError);
  });

  it('when the monitor connection drops, pending commands and waiters reject with QmpConnectionClosedError', async () => {
    // Prepare: the monitor hangs up on the first command
    monitor = await fakeMonitor((_command, _reply, socket) => socket.destroy());
    client = await QmpClient.connect(monitor.socketPath);
    const closed = new Promise((resolve) => client?.once('close', resolve));
    const waiter = client.waitForEvent(() => true, 5000);
    // Act
    const pending = client.execute('quit');
    // Assess
    await expect(pending).rejects.toBeInstanceOf(QmpConnectionClosedError);
    await expect(waiter).rejects.toBeInstanceOf(QmpConnectionClosedError);
    await closed;
    await expect(client.execute('query-jobs')).rejects.toBeInstanceOf(QmpConnectionClosedError);
  });
});
