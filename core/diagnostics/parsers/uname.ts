/** `uname -a`: `Linux host 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux`. */
export interface Uname {
  readonly kernelName?: string;
  readonly hostname?: string;
  readonly kernelRelease?: string;
  /** The release's leading `major.minor.patch`, comparable as a version. */
  readonly kernelVersion?: string;
  readonly machine?: string;
}

export function parseUname(text: string): Uname {
  const fields = (text.split('\n')[0] ?? '').trim().split(/\s+/).filter(Boolean);
  if (fields.length < 3) return {};
  const version = /^(\d+\.\d+(?:\.\d+)?)/.exec(fields[2]);
  const machine = fields.find((field) => /^(x86_64|aarch64|arm64|i[3-6]86|armv\d+l?|ppc64le|s390x|riscv64)$/.test(field));
  return { kernelName: fields[0], hostname: fields[1], kernelRelease: fields[2], kernelVersion: version?.[1], machine };
}
