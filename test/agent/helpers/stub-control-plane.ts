/**
 * The four host routes of the control plane (docs/host-commands.md) on 127.0.0.1, for tests of
 * the real agent process: it records registrations, heartbeats and results, hands out queued
 * commands to the long poll, and writes the outputs file `loadDeployment()` reads. Requests are
 * not signature-checked (the signing itself is the client library's, tested elsewhere).
 * The agent reaches it through `AWS_ENDPOINT_URL` and `BLOCKPLANE_OUTPUTS`, as on the local cloud.
 */
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';

export interface RecordedResult {
  commandId: string;
  body: { status: 'succeeded' | 'failed'; result?: Record<string, unknown>; error?: { code: string; message: string } };
}

interface Command {
  commandId: string;
  type: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

const API_ID = 'stubapi';
const STAGE = 'prod';

export class StubControlPlane {
  readonly registrations: Array<Record<string, unknown>> = [];
  readonly heartbeats: Array<Record<string, unknown>> = [];
  readonly results: RecordedResult[] = [];
  /** Recovery reports (docs/recovery.md); each copy is answered hold-read-only, the first `throttleRecoveryReports` answers are 429. */
  readonly recoveryReports: Array<Record<string, unknown>> = [];
  throttleRecoveryReports = 0;
  private queue: Command[] = [];
  private pollWaiters: Array<() => void> = [];
  private changeWaiters: Array<() => void> = [];
  /** Answer every result post with this status instead of 200 (e.g. 409). */
  resultStatus = 200;

  private constructor(
    private readonly server: http.Server,
    readonly endpointUrl: string,
    readonly outputsFile: string,
  ) {}

  static async start(dir: string): Promise<StubControlPlane> {
    let stub: StubControlPlane | undefined;
    const server = http.createServer((request, response) => void stub?.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpointUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const outputsFile = path.join(dir, 'outputs.json');
    const outputs = Object.fromEntries(
      ['VolumesTableName', 'HostsTableName', 'HostCommandsTableName', 'ReportsBucketName', 'CreateVolumeStateMachineArn', 'DeleteVolumeStateMachineArn'].map((key) => [key, `stub-${key}`]),
    );
    await fs.writeFile(outputsFile, JSON.stringify({ BlockplaneApi: { ApiId: API_ID, ApiStage: STAGE, ApiUrl: `https://${API_ID}.example/${STAGE}/`, ...outputs } }));
    stub = new StubControlPlane(server, endpointUrl, outputsFile);
    return stub;
  }

  /** The environment the agent process needs to reach this stub. */
  agentEnv(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      AWS_ENDPOINT_URL: this.endpointUrl,
      BLOCKPLANE_OUTPUTS: this.outputsFile,
      AWS_ACCESS_KEY_ID: 'AKIDSTUBHOST',
      AWS_SECRET_ACCESS_KEY: 'stub-secret',
      AWS_REGION: 'us-east-1',
    };
  }

  enqueue(command: Omit<Command, 'createdAt'>): void {
    this.queue.push({ ...command, createdAt: new Date().toISOString() });
    for (const wake of this.pollWaiters.splice(0)) wake();
  }

  /** Bounded polling on what the stub recorded. */
  async waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = probe();
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.changeWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  resultsOf(commandId: string): RecordedResult[] {
    return this.results.filter((result) => result.commandId === commandId);
  }

  async stop(): Promise<void> {
    for (const wake of this.pollWaiters.splice(0)) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    const url = new URL(request.url ?? '/', this.endpointUrl);
    const route = url.pathname.replace(`/restapis/${API_ID}/${STAGE}/_user_request_`, '');
    const send = (status: number, answer: unknown): void => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
      for (const wake of this.changeWaiters.splice(0)) wake();
    };
    let match: RegExpMatchArray | null;
    if (request.method === 'POST' && route === '/hosts') {
      this.registrations.push(body);
      return send(200, { hostId: body.hostId, status: 'active' });
    }
    if (request.method === 'POST' && /^\/hosts\/[^/]+\/recovery-reports$/.test(route)) {
      this.recoveryReports.push(body);
      if (this.throttleRecoveryReports > 0) {
        this.throttleRecoveryReports -= 1;
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
        response.end(JSON.stringify({ code: 'TooManyRequests', message: 'recovery batch full' }));
        for (const wake of this.changeWaiters.splice(0)) wake();
        return;
      }
      const copies = (body.copies as Array<{ volumeId: string; copyId: string }>).map(({ volumeId, copyId }) => ({ volumeId, copyId, verdict: 'authoritative', rule: 'sole-survivor', action: 'hold-read-only' }));
      return send(200, { hostId: route.split('/')[2], copies });
    }
    if (request.method === 'POST' && /^\/hosts\/[^/]+\/heartbeat$/.test(route)) {
      this.heartbeats.push(body);
      return send(200, { receivedAt: new Date().toISOString() });
    }
    if (request.method === 'GET' && /^\/hosts\/[^/]+\/commands$/.test(route)) {
      const waitSeconds = Number(url.searchParams.get('wait') ?? '0');
      let gone = false;
      response.once('close', () => (gone = true));
      if (this.queue.length === 0 && waitSeconds > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, waitSeconds * 1000);
          this.pollWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      // A poller that died meanwhile (a SIGKILLed agent) must not take the commands with it.
      if (gone || request.socket.destroyed) return;
      return send(200, { commands: this.queue.splice(0) });
    }
    if (request.method === 'POST' && (match = route.match(/^\/hosts\/[^/]+\/commands\/([^/]+)\/result$/))) {
      this.results.push({ commandId: decodeURIComponent(match[1] as string), body: body as RecordedResult['body'] });
      return send(this.resultStatus, this.resultStatus === 200 ? { status: 'recorded' } : { code: 'InvalidState', message: 'already completed' });
    }
    return send(404, { code: 'NotFound', message: `no route ${request.method} ${route}` });
  }
}
