import { readFileSync } from 'node:fs';
import { KmsKeyVault } from '../../adapters/kms-key-vault';
import { newClientKey } from '../../core/psk-key';

/** The KMS adapter against the deployed key-sealing key (the emulator's KMS, or AWS KMS). */
const outputs = JSON.parse(readFileSync(process.env.BLOCKPLANE_OUTPUTS ?? 'local/.state/outputs.json', 'utf8')) as Record<string, Record<string, string>>;
const keyArn = Object.values(outputs).find((stack) => stack.KeySealingKeyArn)?.KeySealingKeyArn;
const vault = new KmsKeyVault(keyArn ?? 'missing KeySealingKeyArn output');
const VOLUME = 'vol-0123456789abcdef0';

describe('KmsKeyVault', () => {
  test('when a key is sealed, the stored form holds no part of the key and opens to the same key', async () => {
    // Given
    const key = newClientKey(VOLUME, 'att-0123456789ab', 1);
    // When
    const sealed = await vault.seal(VOLUME, key);
    const opened = await vault.open(VOLUME, sealed);
    // Then
    expect(sealed.identity).toBe(key.identity);
    expect(JSON.stringify(sealed)).not.toContain(key.keyHex);
    expect(Buffer.from(sealed.ciphertext, 'base64').toString('hex')).not.toContain(key.keyHex);
    expect(opened).toEqual(key);
  });

  test('when a sealed key is presented for another volume or under another identity, it does not open', async () => {
    // Given
    const sealed = await vault.seal(VOLUME, newClientKey(VOLUME, 'att-0123456789ab', 1));
    // When
    const otherVolume = vault.open('vol-0000000000000000f', sealed);
    const otherIdentity = vault.open(VOLUME, { ...sealed, identity: 'client-someone-else' });
    // Then
    await expect(otherVolume).rejects.toThrow();
    await expect(otherIdentity).rejects.toThrow();
  });
});
