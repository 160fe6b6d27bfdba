/** `qemu-storage-daemon --version`: `qemu-storage-daemon version 7.2.9 (Debian 1:7.2+dfsg-7+deb12u6)`. */
export interface QsdVersion {
  readonly version?: string;
}

export function parseQsdVersion(text: string): QsdVersion {
  const match = /version\s+(\d+\.\d+(?:\.\d+)?)/.exec(text);
  return { version: match?.[1] };
}
