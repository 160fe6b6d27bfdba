import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { PageTokenSecret } from '../core/ports';

/**
 * The page-token secret from Secrets Manager, read once per process (at the first listing after
 * a cold start) and kept; a failed read is not kept, so the next call tries again.
 */
export function secretsManagerPageTokenSecret(secretId: string, client: SecretsManagerClient = new SecretsManagerClient({})): PageTokenSecret {
  let secret: Promise<Uint8Array> | undefined;
  const read = async (): Promise<Uint8Array> => {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new Error(`secret ${secretId} has no string value`);
    return Buffer.from(SecretString, 'utf8');
  };
  return () => {
    secret ??= read().catch((error: unknown) => {
      secret = undefined;
      throw new Error(`cannot read the page-token secret ${secretId}`, { cause: error });
    });
    return secret;
  };
}
