import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import { verifyWebhook, SIGNATURE_HEADER } from '../../../core/health/webhook-signature';
import type { LocalHost } from '../../../local/local-fleet';
import { invokeFunction } from './invoke-function';

const run = promisify(execFile);

/** The health stack's outputs in the local cloud's outputs file. */
export function healthOutputs(): { evaluateFunctionName: string } {
  const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
  return { evaluateFunctionName: outputs.BlockplaneHealth.EvaluateHealthFunctionName };
}

/** Runs `concurrency` evaluations at once (the scheduled evaluator, on demand), as concurrent triggers would. */
export async function evaluateConcurrently(functionName: string, concurrency: number): Promise<void> {
  await Promise.all(Array.from({ length: concurrency }, () => invokeFunction(functionName, {})));
}

/** Remounts a local host's hdd disk read-only (its agent then reports the disk failed, the host degraded), or back read-write. */
export async function setHddReadOnly(host: LocalHost, readOnly: boolean): Promise<void> {
  const hdd = host.loopDevices.find((disk) => disk.type === 'hdd');
  if (!hdd) throw new Error(`host ${host.hostId} has no hdd disk`);
  const { stdout } = await run('findmnt', ['-n', '-o', 'TARGET', '--source', hdd.device]);
  const target = stdout.trim().split('\n')[0];
  if (!target) throw new Error(`the hdd disk ${hdd.device} of ${host.hostId} is not mounted`);
  await run('mount', ['-o', `remount,${readOnly ? 'ro' : 'rw'}`, target]);
}

/** A webhook receiver on 127.0.0.1 that verifies each notice's HMAC signature with the tenant's key. */
export class WebhookReceiver {
  readonly received: { noticeId: string; verified: boolean; body: Record<string, unknown> }[] = [];
  secret = '';
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const verified = verifyWebhook(this.secret, body, String(request.headers[SIGNATURE_HEADER] ?? ''), new Date());
        const parsed = JSON.parse(body) as Record<string, unknown>;
        this.received.push({ noticeId: String(parsed.noticeId), verified, body: parsed });
        response.writeHead(verified ? 204 : 401).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('the receiver has no port');
    return `http://127.0.0.1:${address.port}/notices`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
