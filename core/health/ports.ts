import type { Host } from '../host';
import type { VolumeType } from '../volume';
import type { Comment } from './comment';
import type { FormerDependent } from './dependency-memory';
import type { ComponentHealth } from './fleet-health';
import type { EventAction, HealthEvent, Notice } from './health-event';
import type { HealthLevel } from './health-level';
import type { CopySignal, ProbeResult } from './host-signals';
import type { DeadLetteredNotice, FailedDelivery, NoticeClaim, UndeliveredNotice } from './notice-outbox';
import type { RemediationSettings } from './remediation';
import type { TenantVolume } from './tenant-dependencies';

/** A component's stored health: the latest evaluation and when its level last changed. */
export interface ComponentRecord extends ComponentHealth {
  readonly evaluatedAt: string;
  readonly levelSince: string;
}

export interface HistoryEntry {
  readonly at: string;
  readonly level: HealthLevel;
  readonly score: number;
  readonly reasons: readonly string[];
}

/** A tenant's webhook: where notices are POSTed, and the HMAC key that signs them. */
export interface Webhook {
  readonly url: string;
  readonly secret: string;
}

export interface HealthStore {
  /** Stores each component's health; a history entry when its level changed (or it is new). */
  saveHealth(components: readonly ComponentHealth[], at: Date): Promise<void>;
  getComponent(componentId: string): Promise<ComponentRecord | undefined>;
  listComponents(): Promise<readonly ComponentRecord[]>;
  history(componentId: string, limit: number): Promise<readonly HistoryEntry[]>;
  /** The worst level each component had since `since` (its history, and its level now). */
  worstLevelsSince(componentIds: readonly string[], since: Date): Promise<ReadonlyMap<string, HealthLevel>>;

  saveComment(comment: Comment): Promise<void>;
  /** The scores of the correlated comments received since `since`, per component (one read for a whole evaluation). */
  correlatedScoresByComponentSince(since: Date): Promise<ReadonlyMap<string, readonly number[]>>;
  /** The components that have an open event (one read for a whole evaluation). */
  openComponentIds(): Promise<ReadonlySet<string>>;
  /** The scores of the correlated comments on a component received since `since`. */
  correlatedScoresSince(componentId: string, since: Date): Promise<readonly number[]>;

  /** The component's open event, if any. */
  openEventOf(componentId: string): Promise<HealthEvent | undefined>;
  /** Opens `event` unless the component has an open event already; answers the one that is open. */
  openEvent(event: HealthEvent): Promise<HealthEvent>;
  /** Writes `event` if the stored version is still `event.version - 1`; links each entity's tenant to it. */
  saveEvent(event: HealthEvent): Promise<void>;
  getEvent(eventId: string): Promise<HealthEvent | undefined>;
  eventsOfTenant(tenantId: string, limit: number): Promise<readonly HealthEvent[]>;
  openEventsOfTenant(tenantId: string): Promise<readonly HealthEvent[]>;

  /**
   * Records a notice once per noticeId (a conditional write) together with its outbox entry,
   * claimed by `claim` (the recorder delivers it): false when it was recorded before.
   */
  recordNotice(notice: Notice, claim: NoticeClaim): Promise<boolean>;
  /** The notices recorded and not yet delivered, each with its last claim (at most `limit`). */
  undeliveredNotices(limit: number): Promise<readonly UndeliveredNotice[]>;
  /**
   * Takes the delivery of an undelivered notice whose claim ended before `now` (a conditional
   * update): false when it was delivered or another claimant took it meanwhile.
   */
  claimNotice(noticeId: string, claim: NoticeClaim, now: Date): Promise<boolean>;
  /**
   * Gives up `claim` after a failed delivery: the outbox entry keeps `failure` and is due again
   * when `released` ends (`releasedAt`); nothing when the claim is no longer `claim.by`'s.
   */
  releaseNotice(noticeId: string, claim: NoticeClaim, released: NoticeClaim, failure: FailedDelivery): Promise<void>;
  /**
   * Moves a notice from the outbox to the dead letters with its last failure, in one write;
   * nothing when the claim is no longer `claim.by`'s.
   */
  deadLetterNotice(notice: Notice, claim: NoticeClaim, failure: FailedDelivery): Promise<void>;
  /** The dead-lettered notices (at most `limit`). */
  deadLetteredNotices(limit: number): Promise<readonly DeadLetteredNotice[]>;
  /**
   * Moves a dead-lettered notice back into the outbox, due for the next pass after `now` with no
   * failed delivery: false when no such dead letter is there.
   */
  redriveNotice(noticeId: string, now: Date): Promise<boolean>;
  /** Marks the notice delivered at `at` and removes its outbox entry (idempotent). */
  markNoticeDelivered(notice: Notice, at: Date): Promise<void>;
  /** Records an automatic action once per (event, volume): false when one was recorded before. */
  claimAction(eventId: string, volumeId: string): Promise<boolean>;
  noticesOfTenant(tenantId: string, limit: number): Promise<readonly Notice[]>;

  getRemediation(tenantId: string): Promise<RemediationSettings | undefined>;
  putRemediation(tenantId: string, settings: RemediationSettings): Promise<void>;
  getWebhook(tenantId: string): Promise<Webhook | undefined>;
  putWebhook(tenantId: string, webhook: Webhook): Promise<void>;
}

/** A volume with a copy on a host: its tenant, its type, and the disk holding the copy where it was recorded. */
export interface HostDependent {
  readonly volumeId: string;
  readonly tenantId: string;
  readonly type: VolumeType;
  readonly deviceId?: string;
}

/** Which volumes' copies are on a host, with their tenants (the topology's dependency map). */
export interface DependencyMap {
  /** One entry per copy reserved on the host (a volume whose copy moves between two disks of it has two). */
  dependentsOf(hostId: string): Promise<readonly HostDependent[]>;
  /** The volumes whose copies left the host within FORMER_DEPENDENCY_SECONDS, with when (`core/health/dependency-memory.ts`). */
  formerDependentsOf(hostId: string): Promise<readonly FormerDependent[]>;
  /** The tenant's volumes, each with its type and the hosts of its copies. */
  volumesOfTenant(tenantId: string): Promise<readonly TenantVolume[]>;
}

/**
 * What volumes say about the hosts their copies are on (replica states, daemon deaths, fail-overs):
 * the port the recovery issue's events feed into.
 */
export interface VolumeSignals {
  signalsOf(hostId: string): Promise<readonly CopySignal[]>;
}

/** The pull side: probes a quiet host's storage port. */
export interface HostProbe {
  probe(host: Host): Promise<ProbeResult>;
}

/**
 * Delivers a recorded notice: the stack's bus and, when the tenant has one, its webhook. Called
 * at least once per notice (`notice-outbox.ts`); throws when any part was not accepted.
 */
export interface NoticeDelivery {
  deliver(notice: Notice, webhook: Webhook | undefined): Promise<void>;
}

/** Starts a modification that moves a volume's copies off hosts; answers its id. */
export interface CopyMover {
  moveOff(tenantId: string, volumeId: string, hostIds: readonly string[]): Promise<string>;
}

export type { EventAction };
