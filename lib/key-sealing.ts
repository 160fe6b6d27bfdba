import { RemovalPolicy } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/**
 * The KMS key that seals every TLS-PSK key the control plane stores (docs/security.md, "Where
 * keys live"): a symmetric key with yearly rotation, kept when the stack is deleted (without it
 * no stored key opens again).
 */
export function createKeySealingKey(scope: Construct, id: string): kms.IKey {
  return new kms.Key(scope, id, {
    description: 'Blockplane: seals the TLS-PSK keys of volumes (client keys per attachment, replication keys per mirror)',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

/** The variable through which a granted function finds the key (lambdas/shared/composition.ts). */
export const keySealingEnvironment = (key: kms.IKey): Record<string, string> => ({ KEYS_KEY_ARN: key.keyArn });

/** A function that mints keys may seal them (kms:Encrypt) and nothing more. */
export function grantSealKeys(key: kms.IKey, grantee: iam.IGrantable): void {
  key.grant(grantee, 'kms:Encrypt');
}

/** A function that hands keys to hosts or customers may open them (kms:Decrypt) and nothing more. */
export function grantOpenKeys(key: kms.IKey, grantee: iam.IGrantable): void {
  key.grant(grantee, 'kms:Decrypt');
}
