import { CreateAccessKeyCommand, CreateUserCommand, DeleteAccessKeyCommand, GetUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** IAM paths that make a principal a tenant or a storage host on the local cloud. */
export const TENANT_PATH = '/blockplane-tenants/';
export const HOST_PATH = '/blockplane-hosts/';
/** Operators (review queue, known issues, specs, compliance reports): the default `operatorPrincipalArnPrefix`. */
export const OPERATOR_PATH = '/blockplane-operators/';

export interface Identity {
  readonly name: string;
  readonly arn: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface LocalIdentities {
  readonly tenants: Record<string, Identity>;
  readonly hosts: Record<string, Identity>;
}

export const IDENTITIES_FILE = 'local/.state/identities.json';

async function userWithFreshKey(iam: IAMClient, path: string, name: string): Promise<Identity> {
  let arn: string;
  try {
    arn = (await iam.send(new GetUserCommand({ UserName: name }))).User!.Arn!;
  } catch (error) {
    if ((error as { name?: string }).name !== 'NoSuchEntityException' && (error as { name?: string }).name !== 'NoSuchEntity') throw error;
    arn = (await iam.send(new CreateUserCommand({ UserName: name, Path: path }))).User!.Arn!;
  }
  const existing = await iam.send(new ListAccessKeysCommand({ UserName: name }));
  for (const key of existing.AccessKeyMetadata ?? []) {
    await iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId }));
  }
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { name, arn, accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
}

/** Creates (or re-keys) IAM users for local tenants and hosts, and records their keys. */
export async function createLocalIdentities(tenantNames: readonly string[], hostNames: readonly string[]): Promise<LocalIdentities> {
  const iam = new IAMClient({});
  // Others' identities in the file stay (the demo and the tests share one local cloud).
  const previous: LocalIdentities = existsSync(IDENTITIES_FILE) ? loadLocalIdentities() : { tenants: {}, hosts: {} };
  const tenants: Record<string, Identity> = { ...previous.tenants };
  const hosts: Record<string, Identity> = { ...previous.hosts };
  for (const name of tenantNames) tenants[name] = await userWithFreshKey(iam, TENANT_PATH, `tenant-${name}`);
  for (const name of hostNames) hosts[name] = await userWithFreshKey(iam, HOST_PATH, `host-${name}`);
  const identities = { tenants, hosts };
  mkdirSync(dirname(IDENTITIES_FILE), { recursive: true });
  writeFileSync(IDENTITIES_FILE, JSON.stringify(identities, null, 2), { mode: 0o600 });
  return identities;
}

/** An operator (an IAM user under OPERATOR_PATH) with a fresh key; `name` keeps callers' operators apart. */
export async function createOperatorIdentity(name: string): Promise<Identity> {
  return userWithFreshKey(new IAMClient({}), OPERATOR_PATH, name);
}

export function loadLocalIdentities(): LocalIdentities {
  return JSON.parse(readFileSync(IDENTITIES_FILE, 'utf8')) as LocalIdentities;
}
