import { CreateAccessKeyCommand, CreateUserCommand, DeleteAccessKeyCommand, GetUserCommand, IAMClient, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import type { Identity } from '../../../local/identities';

/** An IAM user under /blockplane-operators/ (the local cloud's operator prefix) with a fresh key. */
export async function operatorIdentity(name: string): Promise<Identity> {
  const iam = new IAMClient({});
  let arn: string;
  try {
    arn = (await iam.send(new GetUserCommand({ UserName: name }))).User!.Arn!;
  } catch {
    arn = (await iam.send(new CreateUserCommand({ UserName: name, Path: '/blockplane-operators/' }))).User!.Arn!;
  }
  for (const key of (await iam.send(new ListAccessKeysCommand({ UserName: name }))).AccessKeyMetadata ?? []) {
    await iam.send(new DeleteAccessKeyCommand({ UserName: name, AccessKeyId: key.AccessKeyId }));
  }
  const key = (await iam.send(new CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { name, arn, accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
}
