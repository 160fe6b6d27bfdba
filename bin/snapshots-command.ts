/**
 * `blockplane snapshots create|list|get|delete` (docs/snapshots.md, "CLI"). `create --wait` and
 * `delete --wait` draw a progress bar on stderr while they poll (bounded: --timeout-seconds).
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { parseArgs } from 'node:util';
import { ok } from '../client/blockplane-api';
import { loadApiEndpoint } from '../client/deployment';
import { SignedHttp } from '../client/signed-http';

export const SNAPSHOTS_USAGE = `  snapshots create VOLUME_ID [--description D] [--client-token T] [--wait] [--timeout-seconds N]
  snapshots list [--volume VOLUME_ID]
  snapshots get SNAPSHOT_ID
  snapshots delete SNAPSHOT_ID`;

interface SnapshotView {
  readonly snapshotId: string;
  readonly status: string;
  readonly progressPercent: number;
  readonly statusReason?: string;
}

const VOLUME_ID = /^vol-[0-9a-f]{17}$/;
const SNAPSHOT_ID = /^snap-[0-9a-f]{17}$/;
const POLL_MS = 1_000;
const BAR_WIDTH = 30;

class UsageError extends Error {}

function bar(snapshot: SnapshotView): string {
  const filled = Math.round((snapshot.progressPercent / 100) * BAR_WIDTH);
  return `\r${snapshot.snapshotId} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${String(snapshot.progressPercent).padStart(3)}% ${snapshot.status}`;
}

async function waitFor(http: SignedHttp, snapshotId: string, timeoutSeconds: number): Promise<SnapshotView> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const snapshot = ok<SnapshotView>(await http.request('GET', `/snapshots/${snapshotId}`));
    process.stderr.write(bar(snapshot));
    if (snapshot.status !== 'pending') {
      process.stderr.write('\n');
      return snapshot;
    }
    if (Date.now() > deadline) throw new Error(`snapshot ${snapshotId} still pending after ${timeoutSeconds} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function id(raw: string | undefined, pattern: RegExp, what: string): string {
  if (!raw || !pattern.test(raw)) throw new UsageError(`${what} ${JSON.stringify(raw ?? '')} is not valid (expected ${pattern.source})`);
  return raw;
}

export async function snapshotsMain(argv: string[]): Promise<number> {
  try {
    const [verb, ...rest] = argv;
    const { positionals, values } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        description: { type: 'string' },
        'client-token': { type: 'string' },
        wait: { type: 'boolean' },
        'timeout-seconds': { type: 'string' },
        volume: { type: 'string' },
        outputs: { type: 'string' },
      },
    });
    const endpoint = loadApiEndpoint(values.outputs);
    const http = new SignedHttp({ baseUrl: endpoint.baseUrl, region: endpoint.region, credentials: defaultProvider() });
    const timeoutSeconds = Number(values['timeout-seconds'] ?? '3600');
    let answer: unknown;
    switch (verb) {
      case 'create': {
        const volumeId = id(positionals[0], VOLUME_ID, 'volume id');
        const body = { ...(values.description ? { description: values.description } : {}), ...(values['client-token'] ? { clientToken: values['client-token'] } : {}) };
        const created = ok<SnapshotView>(await http.request('POST', `/volumes/${volumeId}/snapshots`, body));
        answer = values.wait ? await waitFor(http, created.snapshotId, timeoutSeconds) : created;
        break;
      }
      case 'list': {
        const path = values.volume ? `/volumes/${id(values.volume, VOLUME_ID, 'volume id')}/snapshots` : '/snapshots';
        const snapshots: unknown[] = [];
        let nextToken: string | undefined;
        do {
          const page = ok<{ snapshots: unknown[]; nextToken?: string }>(await http.request('GET', `${path}?limit=100${nextToken ? `&nextToken=${encodeURIComponent(nextToken)}` : ''}`));
          snapshots.push(...page.snapshots);
          nextToken = page.nextToken;
        } while (nextToken);
        answer = { snapshots };
        break;
      }
      case 'get':
        answer = ok(await http.request('GET', `/snapshots/${id(positionals[0], SNAPSHOT_ID, 'snapshot id')}`));
        break;
      case 'delete':
        answer = ok(await http.request('DELETE', `/snapshots/${id(positionals[0], SNAPSHOT_ID, 'snapshot id')}`));
        break;
      default:
        throw new UsageError(`unknown command: snapshots ${verb ?? ''}\n${SNAPSHOTS_USAGE}`);
    }
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`blockplane: error: ${(error as Error).message}\n`);
    if (error instanceof UsageError || (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return 2;
    return 1;
  }
}
