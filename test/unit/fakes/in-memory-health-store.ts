import { VersionConflictError } from '../../../core/errors';
import type { Comment } from '../../../core/health/comment';
import { countedCorrelation } from '../../../core/health/correlation';
import type { ComponentHealth } from '../../../core/health/fleet-health';
import type { HealthEvent, Notice } from '../../../core/health/health-event';
import { worst, type HealthLevel } from '../../../core/health/health-level';
import type { ComponentRecord, HealthStore, HistoryEntry, Webhook } from '../../../core/health/ports';
import { claimEnded, type DeadLetteredNotice, type FailedDelivery, type NoticeClaim, type UndeliveredNotice } from '../../../core/health/notice-outbox';
import type { RemediationSettings } from '../../../core/health/remediation';

/** The health store in memory, with the same conditional semantics as the DynamoDB one. */
export class InMemoryHealthStore implements HealthStore {
  readonly components = new Map<string, ComponentRecord>();
  readonly histories = new Map<string, HistoryEntry[]>();
  readonly comments: Comment[] = [];
  readonly events = new Map<string, HealthEvent>();
  readonly openByComponent = new Map<string, string>();
  readonly notices = new Map<string, Notice>();
  /** When each notice was delivered (the DynamoDB store's `deliveredAt`). */
  readonly deliveredAt = new Map<string, string>();
  /** The undelivered notices' claims and failed deliveries, by notice id (the DynamoDB store's `OUTBOX` items). */
  readonly outbox = new Map<string, { claim: NoticeClaim; failedDeliveries: number }>();
  /** The dead-lettered notices, by notice id (the DynamoDB store's `DEADLETTER` items). */
  readonly deadLetters = new Map<string, DeadLetteredNotice>();
  readonly actions = new Set<string>();
  readonly remediation = new Map<string, RemediationSettings>();
  readonly webhooks = new Map<string, Webhook>();

  async saveHealth(components: readonly ComponentHealth[], at: Date): Promise<void> {
    for (const component of components) {
      const previous = this.components.get(component.componentId);
      const changed = previous?.level !== component.level;
      this.components.set(component.componentId, { ...component, evaluatedAt: at.toISOString(), levelSince: changed ? at.toISOString() : (previous?.levelSince ?? at.toISOString()) });
      if (changed) {
        const history = this.histories.get(component.componentId) ?? [];
        history.unshift({ at: at.toISOString(), level: component.level, score: component.score, reasons: component.reasons });
        this.histories.set(component.componentId, history);
      }
    }
  }
  async getComponent(componentId: string) { return this.components.get(componentId); }
  async listComponents() { return [...this.components.values()]; }
  async history(componentId: string, limit: number) { return (this.histories.get(componentId) ?? []).slice(0, limit); }
  async worstLevelsSince(componentIds: readonly string[], since: Date): Promise<ReadonlyMap<string, HealthLevel>> {
    const result = new Map<string, HealthLevel>();
    for (const id of componentIds) {
      const history = this.histories.get(id) ?? [];
      let level: HealthLevel = this.components.get(id)?.level ?? 'green';
      for (const entry of history) if (Date.parse(entry.at) >= since.getTime()) level = worst(level, entry.level);
      // The level in force when the window started counts too.
      const before = history.find((entry) => Date.parse(entry.at) < since.getTime());
      if (before) level = worst(level, before.level);
      result.set(id, level);
    }
    return result;
  }
  async saveComment(comment: Comment) { this.comments.push(comment); }
  async correlatedScoresSince(componentId: string, since: Date) {
    return this.comments
      .filter((c) => c.verdict === 'correlated' && Date.parse(c.receivedAt) >= since.getTime())
      .flatMap((c) => [countedCorrelation(c.correlations)].filter((k) => k?.componentId === componentId).map((k) => k!.score));
  }
  async correlatedScoresByComponentSince(since: Date) {
    const result = new Map<string, number[]>();
    for (const id of new Set(this.comments.flatMap((c) => c.correlations.map((k) => k.componentId)))) result.set(id, await this.correlatedScoresSince(id, since));
    return result;
  }
  async openComponentIds() { return new Set(this.openByComponent.keys()); }
  async openEventOf(componentId: string) {
    const id = this.openByComponent.get(componentId);
    return id ? this.events.get(id) : undefined;
  }
  async openEvent(event: HealthEvent): Promise<HealthEvent> {
    const open = await this.openEventOf(event.componentId);
    if (open) return open;
    const stored = { ...event, version: 1 };
    this.events.set(event.eventId, stored);
    this.openByComponent.set(event.componentId, event.eventId);
    return stored;
  }
  async saveEvent(event: HealthEvent): Promise<void> {
    const stored = this.events.get(event.eventId);
    if (!stored || stored.version !== event.version - 1) throw new VersionConflictError(`event ${event.eventId} changed`);
    this.events.set(event.eventId, event);
    if (event.statusCode === 'closed') this.openByComponent.delete(event.componentId);
  }
  async getEvent(eventId: string) { return this.events.get(eventId); }
  async eventsOfTenant(tenantId: string, limit: number) {
    return [...this.events.values()].filter((e) => e.affectedEntities.some((x) => x.tenantId === tenantId)).slice(0, limit);
  }
  async openEventsOfTenant(tenantId: string) { return (await this.eventsOfTenant(tenantId, 100)).filter((e) => e.statusCode === 'open'); }
  async recordNotice(notice: Notice, claim: NoticeClaim): Promise<boolean> {
    if (this.notices.has(notice.noticeId)) return false;
    this.notices.set(notice.noticeId, notice);
    this.outbox.set(notice.noticeId, { claim, failedDeliveries: 0 });
    return true;
  }
  async undeliveredNotices(limit: number): Promise<readonly UndeliveredNotice[]> {
    return [...this.outbox].slice(0, limit).map(([noticeId, entry]) => ({ notice: this.notices.get(noticeId)!, ...entry }));
  }
  async claimNotice(noticeId: string, claim: NoticeClaim, now: Date): Promise<boolean> {
    const held = this.outbox.get(noticeId);
    if (!held || !claimEnded(held.claim, now)) return false;
    this.outbox.set(noticeId, { ...held, claim });
    return true;
  }
  async releaseNotice(noticeId: string, claim: NoticeClaim, released: NoticeClaim, failure: FailedDelivery): Promise<void> {
    if (this.holds(noticeId, claim)) this.outbox.set(noticeId, { claim: released, failedDeliveries: failure.failedDeliveries });
  }
  async deadLetterNotice(notice: Notice, claim: NoticeClaim, failure: FailedDelivery): Promise<void> {
    if (!this.holds(notice.noticeId, claim)) return;
    this.outbox.delete(notice.noticeId);
    this.deadLetters.set(notice.noticeId, { notice, lastFailure: failure });
  }
  async deadLetteredNotices(limit: number): Promise<readonly DeadLetteredNotice[]> {
    return [...this.deadLetters.values()].slice(0, limit);
  }
  async redriveNotice(noticeId: string, now: Date): Promise<boolean> {
    if (!this.deadLetters.delete(noticeId)) return false;
    this.outbox.set(noticeId, { claim: { by: 'redrive', until: now.toISOString() }, failedDeliveries: 0 });
    return true;
  }
  private holds(noticeId: string, claim: NoticeClaim): boolean {
    const held = this.outbox.get(noticeId)?.claim;
    return held?.by === claim.by && held.until === claim.until;
  }
  async markNoticeDelivered(notice: Notice, at: Date): Promise<void> {
    if (!this.deliveredAt.has(notice.noticeId)) this.deliveredAt.set(notice.noticeId, at.toISOString());
    this.outbox.delete(notice.noticeId);
  }
  async claimAction(eventId: string, volumeId: string): Promise<boolean> {
    const key = `${eventId}#${volumeId}`;
    if (this.actions.has(key)) return false;
    this.actions.add(key);
    return true;
  }
  async noticesOfTenant(tenantId: string, limit: number) { return [...this.notices.values()].filter((n) => n.tenantId === tenantId).slice(0, limit); }
  async getRemediation(tenantId: string) { return this.remediation.get(tenantId); }
  async putRemediation(tenantId: string, settings: RemediationSettings) { this.remediation.set(tenantId, settings); }
  async getWebhook(tenantId: string) { return this.webhooks.get(tenantId); }
  async putWebhook(tenantId: string, webhook: Webhook) { this.webhooks.set(tenantId, webhook); }
}
