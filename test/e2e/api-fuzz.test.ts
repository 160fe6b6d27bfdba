import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ok, type VolumeView } from '../../client/blockplane-api';
import { API_ROUTES } from '../../contract/routes';
import { OPENAPI_FILE } from '../../contract/write-openapi';
import { ScriptedHost } from '../../local/scripted-host';
import { unexpectedFailuresSince } from './support/function-failures';
import { deployment, eventually, hostApiAs, identities, volumesAs } from './support/local-cloud';

/**
 * schemathesis (a third-party fuzzer, test/contract/requirements.txt) against the deployed API,
 * from docs/openapi.json: positive and negative cases on every route, SigV4-signed by its hooks
 * (test/contract/schemathesis_hooks.py). Bounded by BLOCKPLANE_FUZZ_MAX_EXAMPLES per operation
 * and phase (default 50); the seed is fixed so a CI failure replays.
 */
const SCHEMATHESIS = process.env.BLOCKPLANE_SCHEMATHESIS ?? resolve('.venv-contract/bin/schemathesis');
const MAX_EXAMPLES = process.env.BLOCKPLANE_FUZZ_MAX_EXAMPLES ?? '50';
const SEED = process.env.BLOCKPLANE_FUZZ_SEED ?? '20261201';
const CHECKS = ['not_a_server_error', 'status_code_conformance', 'content_type_conformance', 'response_schema_conformance', 'negative_data_rejection'];
const RUN_TIMEOUT_MS = 480_000;
const OUT = resolve('local/.state/fuzz');

jest.setTimeout(RUN_TIMEOUT_MS + 120_000);

interface FuzzStats {
  readonly requests: number;
  readonly byOperation: Record<string, Record<string, number>>;
  readonly serverErrors: readonly { operation: string; status: number; body: string }[];
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGTERM'), RUN_TIMEOUT_MS);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
  });
}

const hosts: ScriptedHost[] = [];
afterAll(async () => {
  await Promise.all(hosts.map((host) => host.stop()));
});

describe('the API contract under a third-party fuzzer', () => {
  test('when schemathesis fuzzes every route with valid and invalid data, no answer is a 5xx or breaks docs/openapi.json', async () => {
    // Given: two hosts that build copies, and two volumes of the fuzzing tenant, one with two attachments
    expect(existsSync(SCHEMATHESIS)).toBe(true);
    const location = `fuzz-${randomUUID().slice(0, 8)}`;
    for (const [i, name] of ['fuzz1', 'fuzz2'].entries()) {
      const host = new ScriptedHost(hostApiAs(name), {
        hostId: `${location}-${name}`, location, address: `10.77.0.${210 + i}`, capacityGiB: 1000, iopsCapacity: 100_000, behaviour: 'succeed',
      });
      await host.register();
      host.start();
      hosts.push(host);
    }
    // The fuzzer signs host routes as a host of its own, registered in another location so that no
    // copy is placed on it: a valid POST /hosts it generates re-registers that principal under a
    // new host id and retires the old one, which must not be a host that builds the volumes.
    const fuzzer = new ScriptedHost(hostApiAs('fuzz3'), {
      hostId: `${location}-fuzz3`, location: `${location}-x`, address: '10.77.0.212', capacityGiB: 1000, iopsCapacity: 100_000, behaviour: 'succeed',
    });
    await fuzzer.register();
    const tenant = volumesAs('fuzz');
    const [volumeId, deletableVolumeId] = await Promise.all(
      [1, 2].map(async () => {
        const { volumeId: id } = ok<VolumeView>(await tenant.create({ sizeGiB: 1, type: 'ssd', location }));
        await eventually(async () => (ok<VolumeView>(await tenant.get(id)).status === 'available' ? true : undefined), 60_000, `volume ${id}`);
        return id;
      }),
    );
    const attach = async () => ok<{ attachmentId: string }>(await tenant.http.request('POST', `/volumes/${volumeId}/attachments`)).attachmentId;
    const attachmentId = await attach();
    const detachableAttachmentId = await attach();
    mkdirSync(OUT, { recursive: true });
    const statsFile = join(OUT, 'stats.json');
    const config = {
      region: deployment.region,
      tenant: identities.tenants.fuzz,
      host: identities.hosts.fuzz3,
      hostId: fuzzer.options.hostId,
      volumeId,
      deletableVolumeId,
      attachmentId,
      detachableAttachmentId,
      statsFile,
    };
    writeFileSync(join(OUT, 'config.json'), JSON.stringify(config), { mode: 0o600 });

    // When
    const fuzzStarted = Date.now();
    const { code, output } = await run(
      SCHEMATHESIS,
      [
        '--config-file', resolve('test/contract/schemathesis.toml'), 'run', OPENAPI_FILE, '--url', deployment.baseUrl, '--checks', CHECKS.join(','), '--mode', 'all',
        '--max-examples', MAX_EXAMPLES, '--seed', SEED, '--phases', 'examples,coverage,fuzzing', '--workers', '1',
        '--suppress-health-check', 'all', '--request-timeout', '30', '--no-color',
        '--report', 'junit', '--report-junit-path', join(OUT, 'junit.xml'),
      ],
      { SCHEMATHESIS_HOOKS: 'schemathesis_hooks', PYTHONPATH: resolve('test/contract'), BLOCKPLANE_FUZZ_CONFIG: join(OUT, 'config.json') },
    );

    // Then: a run that was stopped at RUN_TIMEOUT_MS wrote no statistics; say so, with its output
    if (code === null) throw new Error(`schemathesis did not finish within ${RUN_TIMEOUT_MS / 1000} s (stopped); its output ends:\n${output.slice(-5_000)}`);
    const stats = JSON.parse(readFileSync(statsFile, 'utf8')) as FuzzStats;
    const junit = readFileSync(join(OUT, 'junit.xml'), 'utf8');
    const failures = [...junit.matchAll(/<failure /g)].length;
    const errors = [...junit.matchAll(/<error /g)].length;
    const serverErrors = Object.values(stats.byOperation).reduce(
      (sum, counts) => sum + Object.entries(counts).filter(([status]) => Number(status) >= 500).reduce((s, [, n]) => s + n, 0),
      0,
    );
    process.stdout.write(
      `schemathesis: ${stats.requests} requests, ${serverErrors} x 5xx, ${failures} failed checks, ${errors} errors, ` +
        `${Object.keys(stats.byOperation).length}/${API_ROUTES.length} routes\n${JSON.stringify(stats.byOperation)}\n`,
    );
    if (code !== 0) process.stdout.write(output.slice(-20_000));
    if (stats.serverErrors.length > 0) process.stdout.write(`what the functions logged for them:\n${(await unexpectedFailuresSince(fuzzStarted)).join('\n')}\n`);
    expect(stats.serverErrors).toEqual([]);
    expect({ code, failures, errors }).toEqual({ code: 0, failures: 0, errors: 0 });
    expect(Object.keys(stats.byOperation).sort()).toEqual(API_ROUTES.map((route) => `${route.method.toUpperCase()} ${route.path}`).sort());
  });
});
