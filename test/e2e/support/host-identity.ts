import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { HostApi } from '../../../client/blockplane-api';
import { HOST_PATH, type Identity } from '../../../local/identities';
import { httpAs } from './local-cloud';

/** A storage-host principal of its own (a new IAM user under /blockplane-hosts/), for tests that bind or retire host ids. */
export async function freshHostPrincipal(name: string): Promise<{ api: HostApi; arn: string; identity: Identity }> {
  const iam = new IAMClient({});
  const user = (await iam.send(new CreateUserCommand({ UserName: name, Path: HOST_PATH }))).User!;
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  const identity: Identity = { name, arn: user.Arn!, accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  return { api: new HostApi(httpAs(identity)), arn: user.Arn!, identity };
}
