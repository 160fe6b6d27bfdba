/** `lsblk --json -b -o NAME,TYPE,SIZE,MOUNTPOINT,FSTYPE,UUID,RO`: a tree of block devices. */
export interface LsblkDevice {
  readonly name: string;
  readonly type?: string;
  readonly uuid?: string;
  readonly fstype?: string;
  readonly mountpoint?: string;
}

export interface Lsblk {
  readonly devices: readonly LsblkDevice[];
  readonly uuids: readonly string[];
  /** Filesystem UUIDs held by more than one device (clones of one disk attached together). */
  readonly duplicateUuids: readonly string[];
  /** Set when the text is not the JSON lsblk prints. */
  readonly unreadable?: string;
}

interface RawDevice {
  name?: unknown;
  type?: unknown;
  uuid?: unknown;
  fstype?: unknown;
  mountpoint?: unknown;
  children?: unknown;
}

export function parseLsblk(text: string): Lsblk {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { devices: [], uuids: [], duplicateUuids: [], unreadable: (error as Error).message };
  }
  const devices: LsblkDevice[] = [];
  const visit = (raw: unknown): void => {
    if (!Array.isArray(raw)) return;
    for (const item of raw as RawDevice[]) {
      if (typeof item?.name !== 'string') continue;
      devices.push({
        name: item.name,
        type: str(item.type),
        uuid: str(item.uuid),
        fstype: str(item.fstype),
        mountpoint: str(item.mountpoint),
      });
      visit(item.children);
    }
  };
  visit((json as { blockdevices?: unknown })?.blockdevices);
  const uuids = devices.map((device) => device.uuid).filter((uuid): uuid is string => uuid !== undefined);
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  for (const uuid of uuids) (seen.has(uuid) ? duplicates : seen).add(uuid);
  return { devices, uuids, duplicateUuids: [...duplicates] };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
