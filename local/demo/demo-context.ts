import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { ok, VolumeApi, type VolumeView } from '../../client/blockplane-api';
import type { Deployment } from '../../client/deployment';
import type { SignedHttp } from '../../client/signed-http';
import type { Identity } from '../identities';
import type { LocalHost } from '../local-fleet';
import type { Story } from './story';

/** What every chapter works with: the story, the API as each principal, the hosts and a scratch folder. */
export interface DemoContext {
  readonly story: Story;
  readonly deployment: Deployment;
  readonly location: string;
  readonly tenant: VolumeApi;
  readonly tenantIdentity: Identity;
  /** A second tenant whose volume the host failure does not touch: it must get no notice. */
  readonly bystander: VolumeApi;
  readonly operator: SignedHttp;
  readonly hosts: LocalHost[];
  readonly hostIdentities: Record<string, Identity>;
  readonly work: string;
}

export async function volumeOf(api: VolumeApi, volumeId: string): Promise<VolumeView> {
  return ok<VolumeView>(await api.get(volumeId));
}

/** Waits until the volume reaches one of `statuses`; an `error` status stops the demo. */
export async function volumeReaching(demo: DemoContext, api: VolumeApi, volumeId: string, statuses: readonly string[]): Promise<VolumeView> {
  return demo.story.until(`volume ${volumeId} to be ${statuses.join(' or ')}`, async () => {
    const volume = await volumeOf(api, volumeId);
    if (volume.status === 'error') throw new Error(`volume ${volumeId} failed: ${volume.statusReason ?? ''}`);
    return statuses.includes(volume.status) ? volume : undefined;
  });
}

export function hostOf(demo: DemoContext, hostId: string): LocalHost {
  const host = demo.hosts.find((candidate) => candidate.hostId === hostId);
  if (!host) throw new Error(`host ${hostId} is not one of the demo's`);
  return host;
}

/** The data file of a copy on its local host. */
export function copyFileOf(demo: DemoContext, copy: { readonly hostId: string; readonly copyId: string }): string {
  const file = execFileSync('find', [hostOf(demo, copy.hostId).dataDir, '-path', `*/${copy.copyId}/data.raw`], { encoding: 'utf8' }).trim();
  if (!file) throw new Error(`copy ${copy.copyId} has no data file on ${copy.hostId}`);
  return file;
}

/** Runs the CLI (bin/blockplane.ts) as the demo tenant; its stdout. */
export async function cli(demo: DemoContext, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/blockplane.ts', ...args], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: demo.tenantIdentity.accessKeyId, AWS_SECRET_ACCESS_KEY: demo.tenantIdentity.secretAccessKey },
  });
  return stdout;
}
