/** `/proc/uptime`: seconds since boot and idle seconds. */
export interface Uptime {
  readonly seconds?: number;
}

export function parseUptime(text: string): Uptime {
  const match = /^\s*(\d+(?:\.\d+)?)\s/.exec(text + ' ');
  return match ? { seconds: Number(match[1]) } : {};
}
