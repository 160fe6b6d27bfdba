/**
 * Where an NBD server listens, and the spellings QEMU and libnbd want for it.
 */
export type NbdAddress =
  | { type: 'inet'; host: string; port: number }
  | { type: 'unix'; path: string };

/** `nbd-server-start` takes the legacy (`data`-wrapped) SocketAddress in QEMU 7.2. */
export function toQmpLegacySocketAddress(address: NbdAddress): Record<string, unknown> {
  return address.type === 'inet'
    ? { type: 'inet', data: { host: address.host, port: String(address.port) } }
    : { type: 'unix', data: { path: address.path } };
}

/** `blockdev-add driver=nbd` takes the flat SocketAddress. */
export function toQmpSocketAddress(address: NbdAddress): Record<string, unknown> {
  return address.type === 'inet'
    ? { type: 'inet', host: address.host, port: String(address.port) }
    : { type: 'unix', path: address.path };
}

/** A libnbd URI with TLS-PSK (`nbds://identity@host:port/export?tls-psk-file=…`). */
export function toNbdsUri(address: NbdAddress, exportName: string, identity: string, pskFile: string): string {
  const name = encodeURIComponent(exportName);
  const psk = encodeURIComponent(pskFile);
  return address.type === 'inet'
    ? `nbds://${identity}@${address.host}:${address.port}/${name}?tls-psk-file=${psk}`
    : `nbds+unix://${identity}@/${name}?socket=${encodeURIComponent(address.path)}&tls-psk-file=${psk}`;
}

export function describeNbdAddress(address: NbdAddress, exportName: string): string {
  return address.type === 'inet' ? `${address.host}:${address.port}/${exportName}` : `unix:${address.path}/${exportName}`;
}
