/** `nvme list -o json`: `{"Devices": [{"DevicePath": "/dev/nvme0n1", "ModelNumber": …}]}`. */
export interface NvmeList {
  readonly devices: readonly string[];
  readonly unreadable?: string;
}

export function parseNvmeList(text: string): NvmeList {
  try {
    const json = JSON.parse(text) as { Devices?: { DevicePath?: unknown }[] };
    const devices = (Array.isArray(json?.Devices) ? json.Devices : [])
      .map((device) => device?.DevicePath)
      .filter((path): path is string => typeof path === 'string');
    return { devices };
  } catch (error) {
    return { devices: [], unreadable: (error as Error).message };
  }
}
