/**
 * Checks an attachment's connection details before the bridge uses them, and turns them into
 * the relay's upstream target. Every value that reaches QEMU's comma-separated options or a
 * file name is checked against a pattern without `,` or `=`, so a value from the API can never
 * add an option.
 */
import { assertValidPskKey } from '../../agent/tls/psk-keys-file';
import type { AttachmentView } from '../blockplane-api';
import { BridgeError } from './bridge-error';
import type { UpstreamTarget } from './nbd-upstream';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const HOST_PATTERN = /^[A-Za-z0-9.:-]{1,253}$/;

export function assertUsableConnection(connection: AttachmentView): void {
  const problems: string[] = [];
  if (!NAME_PATTERN.test(connection.volumeId)) problems.push(`volumeId ${JSON.stringify(connection.volumeId)}`);
  if (!NAME_PATTERN.test(connection.attachmentId)) problems.push(`attachmentId ${JSON.stringify(connection.attachmentId)}`);
  if (!HOST_PATTERN.test(connection.nbd?.address ?? '')) problems.push(`nbd.address ${JSON.stringify(connection.nbd?.address)}`);
  if (!Number.isInteger(connection.nbd?.port) || connection.nbd.port < 1 || connection.nbd.port > 65535) problems.push(`nbd.port ${connection.nbd?.port}`);
  if (!NAME_PATTERN.test(connection.nbd?.exportName ?? '')) problems.push(`nbd.exportName ${JSON.stringify(connection.nbd?.exportName)}`);
  if (connection.tls?.type !== 'psk') problems.push(`tls.type ${JSON.stringify(connection.tls?.type)} (only psk is supported)`);
  if (problems.length > 0) throw new BridgeError(`the attachment's connection details are not usable: ${problems.join(', ')}`);
  assertValidPskKey({ identity: connection.tls.identity, keyHex: connection.tls.keyHex });
}

export function targetOf(connection: AttachmentView): UpstreamTarget {
  return {
    address: connection.nbd.address,
    port: connection.nbd.port,
    exportName: connection.nbd.exportName,
    identity: connection.tls.identity,
    keyHex: connection.tls.keyHex,
  };
}
