import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { PskKey } from '../core/psk-key';
import type { KeyVault, SealedKey } from '../core/sealed-key';

/** PSK keys are 32 bytes. */
const KEY_BYTES = 32;

/**
 * Seals PSK keys with KMS Encrypt under the deployment's key (the 32 key bytes are the
 * plaintext; `{volumeId, identity}` is the encryption context, so a ciphertext copied onto
 * another volume or identity does not decrypt).
 */
export class KmsKeyVault implements KeyVault {
  constructor(
    private readonly keyArn: string,
    private readonly client: KMSClient = new KMSClient({}),
  ) {}

  async seal(volumeId: string, key: PskKey): Promise<SealedKey> {
    const answer = await this.client.send(
      new EncryptCommand({ KeyId: this.keyArn, Plaintext: Buffer.from(key.keyHex, 'hex'), EncryptionContext: { volumeId, identity: key.identity } }),
    );
    if (!answer.CiphertextBlob) throw new Error(`KMS returned no ciphertext for key ${key.identity} of volume ${volumeId}`);
    return { identity: key.identity, ciphertext: Buffer.from(answer.CiphertextBlob).toString('base64') };
  }

  async open(volumeId: string, sealed: SealedKey): Promise<PskKey> {
    const answer = await this.client.send(
      new DecryptCommand({
        KeyId: this.keyArn,
        CiphertextBlob: Buffer.from(sealed.ciphertext, 'base64'),
        EncryptionContext: { volumeId, identity: sealed.identity },
      }),
    );
    const plaintext = answer.Plaintext ? Buffer.from(answer.Plaintext) : undefined;
    if (plaintext?.length !== KEY_BYTES) throw new Error(`KMS did not return a ${KEY_BYTES}-byte key for ${sealed.identity} of volume ${volumeId}`);
    return { identity: sealed.identity, keyHex: plaintext.toString('hex') };
  }
}
