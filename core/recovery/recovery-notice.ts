/** An owner notice on a volume (docs/recovery.md, "Events"): what happened, why, and the facts it rests on. */
export const RECOVERY_NOTICE_TYPES = [
  'copy-classified',
  'volume-impaired',
  'recovery-access-granted',
  'recovery-decided',
  'copy-deletion-started',
  'auto-archive-blocked',
] as const;
export type RecoveryNoticeType = (typeof RECOVERY_NOTICE_TYPES)[number];

export interface RecoveryNotice {
  readonly volumeId: string;
  readonly tenantId: string;
  readonly type: RecoveryNoticeType;
  readonly at: string;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}
