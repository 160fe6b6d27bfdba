/**
 * `timedatectl` (`System clock synchronized: yes`) or `chronyc tracking` (`Leap status : Normal`,
 * `System time : 0.000012 seconds fast of NTP time`).
 */
export interface TimeSync {
  readonly synchronized?: boolean;
  readonly offsetSeconds?: number;
}

export function parseTimeSync(text: string): TimeSync {
  const timedatectl = /System clock synchronized:\s*(yes|no)/i.exec(text) ?? /NTP synchronized:\s*(yes|no)/i.exec(text);
  const leap = /Leap status\s*:\s*(.+)/i.exec(text);
  const offset = /System time\s*:\s*([\d.]+) seconds (fast|slow)/i.exec(text);
  const synchronized = timedatectl ? timedatectl[1].toLowerCase() === 'yes' : leap ? leap[1].trim().toLowerCase() === 'normal' : undefined;
  return { synchronized, offsetSeconds: offset ? Number(offset[1]) : undefined };
}
