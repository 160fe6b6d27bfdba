import { randomUUID } from 'node:crypto';
import type { Host } from '../../host';
import { VersionConflictError } from '../../errors';
import { affectedFormerDependents, troubleStartOf } from '../dependency-memory';
import { fleetHealth, type ComponentHealth } from '../fleet-health';
import { advanceEvent, noticeOf, openEvent, statusesOverwritten, type AffectedEntity, type EventAction, type EventObservation, type HealthEvent, type Notice } from '../health-event';
import { isQuiet } from '../host-signals';
import { claimFor, DELIVERY_ERRORS_REPORTED, dueForRedelivery, isDeadLetter, OUTBOX_READ_LIMIT, releasedAt, type FailedDelivery, type NoticeClaim } from '../notice-outbox';
import type { CopyMover, DependencyMap, HealthStore, HostProbe, NoticeDelivery, VolumeSignals } from '../ports';
import { decideRemediation, DEFAULT_REMEDIATION, moveRecommendation, ruleFor } from '../remediation';
import { copyDependsOn, hostComponentId, hostsCoveredBy } from '../topology';
import { triggersFor, type TriggerSettings } from '../triggers';

export interface EvaluateHealthDeps {
  readonly store: HealthStore;
  readonly dependencies: DependencyMap;
  readonly signals: VolumeSignals;
  readonly probe: HostProbe;
  readonly delivery: NoticeDelivery;
  readonly mover: CopyMover;
  readonly triggers: TriggerSettings;
  readonly heartbeatTimeoutSeconds: number;
  readonly now: () => Date;
}

export interface EvaluationOutcome {
  readonly components: number;
  readonly openEvents: number;
  /** Notices recorded and delivered by this pass. */
  readonly noticesSent: number;
  readonly noticesSkippedAsDuplicates: number;
  /** Notices recorded earlier whose delivery had failed or whose claimant died, delivered by this pass. */
  readonly noticesRedelivered: number;
  /** Notices whose delivery failed in this pass: they stay in the outbox for a later pass, or went to the dead letters. */
  readonly noticesUndelivered: number;
  /** Of those, the notices that failed for the NOTICE_DEAD_LETTER_AFTER_FAILURES-th time and went to the dead letters. */
  readonly noticesDeadLettered: number;
  /** The first DELIVERY_ERRORS_REPORTED delivery failures, `<noticeId>: <message>`. */
  readonly deliveryErrors: readonly string[];
  readonly actions: number;
}

interface Tally {
  openEvents: number;
  noticesSent: number;
  noticesSkippedAsDuplicates: number;
  noticesRedelivered: number;
  noticesUndelivered: number;
  noticesDeadLettered: number;
  deliveryErrors: string[];
  actions: number;
}

/** How long after an entity's status change evaluations still offer its notice (covers races and crashed passes). */
export const RE_OFFER_SECONDS = 600;

/** Tries of one event's update when another evaluator wrote it first. */
export const EVENT_SAVE_ATTEMPTS = 5;

/**
 * One evaluation of the fleet (docs/health.md): health of every component from push and pull,
 * triggers, events opened, advanced or closed, a notice per entity status change recorded exactly
 * once and delivered at least once (`notice-outbox.ts`: the notices a failed or dead pass left
 * undelivered are delivered by a later one), and the tenants' remediation applied once per
 * (event, volume). Safe to run concurrently and to retry: events are versioned, and notices,
 * delivery claims and actions are conditional writes.
 */
export async function evaluateHealth(deps: EvaluateHealthDeps, hosts: readonly Host[]): Promise<EvaluationOutcome> {
  const now = deps.now();
  // This pass's name on the delivery claims it takes.
  const claimant = randomUUID();
  const observations = await Promise.all(
    hosts.map(async (host) => ({
      host,
      now,
      heartbeatTimeoutSeconds: deps.heartbeatTimeoutSeconds,
      probe: host.status !== 'unreachable' && isQuiet(host, now, deps.heartbeatTimeoutSeconds) ? await deps.probe.probe(host) : ('skipped' as const),
      copySignals: await deps.signals.signalsOf(host.hostId),
    })),
  );
  const components = fleetHealth(observations);
  await deps.store.saveHealth(components, now);
  const since = new Date(now.getTime() - deps.triggers.correlationWindowMinutes * 60_000);
  const tally: Tally = { openEvents: 0, noticesSent: 0, noticesSkippedAsDuplicates: 0, noticesRedelivered: 0, noticesUndelivered: 0, noticesDeadLettered: 0, deliveryErrors: [], actions: 0 };
  const [allScores, openIds] = await Promise.all([deps.store.correlatedScoresByComponentSince(since), deps.store.openComponentIds()]);
  for (const component of components) {
    const scores = allScores.get(component.componentId) ?? [];
    const triggers = triggersFor({ componentId: component.componentId, level: component.level, healthReasons: component.reasons, correlatedScores: scores }, deps.triggers);
    if (!openIds.has(component.componentId) && triggers.length === 0) continue;
    const open = await deps.store.openEventOf(component.componentId);
    if (!open && triggers.length === 0) continue;
    const covered = hostsCoveredBy(component.componentId, hosts);
    const dependents = uniqueVolumes(
      (await Promise.all(covered.map(async (host) => (await deps.dependencies.dependentsOf(host.hostId)).filter((d) => copyDependsOn(component.componentId, host, d))))).flat(),
    );
    const formerDependents = await formerDependentsAffected(deps, component.componentId, covered, new Set(dependents.map((d) => d.volumeId)), now);
    const event = open ?? (await deps.store.openEvent(openEvent(component.componentId, component.zone, component.level, triggers[0], now)));
    const hostIds = covered.map((host) => host.hostId);
    const offer = async (offered: HealthEvent, entities: readonly AffectedEntity[]) => {
      for (const entity of entities) {
        const outcome = await notify(deps, offered, entity, component, hostIds, scores.length, claimFor(claimant, now), now, tally);
        tally.noticesSent += outcome.sent ? 1 : 0;
        tally.noticesSkippedAsDuplicates += outcome.recorded ? 0 : 1;
        tally.actions += outcome.acted ? 1 : 0;
      }
    };
    const observation = { level: component.level, triggers, dependents, formerDependents, closeAfterGreenSeconds: deps.triggers.closeAfterGreenSeconds, now };
    const { stored } = await advanceStored(deps, event, observation, (read, next) => offer(read, statusesOverwritten(read, next)));
    if (stored.statusCode === 'open') tally.openEvents += 1;
    // Every entity's recent status, not only this pass's changes: a pass that lost the race, or
    // retries after a crash, re-offers the same notices and the conditional write keeps one each.
    await offer(stored, stored.affectedEntities.filter((e) => now.getTime() - Date.parse(e.lastUpdatedTime) <= RE_OFFER_SECONDS * 1000));
  }
  await redeliver(deps, claimant, now, tally);
  return { components: components.length, ...tally };
}

/**
 * Delivers the notices that earlier passes recorded and left undelivered (their delivery failed,
 * or they died first) once their claim ended: each is claimed first (a conditional update), so
 * of two passes at once only one delivers it.
 */
async function redeliver(deps: EvaluateHealthDeps, claimant: string, now: Date, tally: Tally): Promise<void> {
  for (const { notice, failedDeliveries } of dueForRedelivery(await deps.store.undeliveredNotices(OUTBOX_READ_LIMIT), now)) {
    const claim = claimFor(claimant, now);
    if (!(await deps.store.claimNotice(notice.noticeId, claim, now))) continue;
    if (await deliverClaimed(deps, notice, claim, failedDeliveries, now, tally)) tally.noticesRedelivered += 1;
  }
}

/**
 * Delivers a notice this pass holds the claim on (whose deliveries failed `failedBefore` times)
 * and marks it delivered. A failed delivery gives the claim up until its next try is due, or
 * moves the notice to the dead letters after its last try, and is reported in the outcome rather
 * than thrown: the other tenants' notices of this pass still go out.
 */
async function deliverClaimed(deps: EvaluateHealthDeps, notice: Notice, claim: NoticeClaim, failedBefore: number, now: Date, tally: Tally): Promise<boolean> {
  try {
    await deps.delivery.deliver(notice, await deps.store.getWebhook(notice.tenantId));
  } catch (error) {
    // Deliberately not thrown (see above); the outcome carries it to the evaluator's log.
    const failure: FailedDelivery = { failedDeliveries: failedBefore + 1, error: (error as Error).message.slice(0, 512), at: now.toISOString() };
    if (isDeadLetter(failure.failedDeliveries)) {
      await deps.store.deadLetterNotice(notice, claim, failure);
      tally.noticesDeadLettered += 1;
    } else {
      await deps.store.releaseNotice(notice.noticeId, claim, releasedAt(claim, now, failure.failedDeliveries), failure);
    }
    tally.noticesUndelivered += 1;
    if (tally.deliveryErrors.length < DELIVERY_ERRORS_REPORTED) tally.deliveryErrors.push(`${notice.noticeId}: ${failure.error}`.slice(0, 512));
    return false;
  }
  await deps.store.markNoticeDelivered(notice, now);
  return true;
}

/** One entry per volume (a volume with two copies under one component is affected once). */
const uniqueVolumes = <T extends { readonly volumeId: string }>(entries: readonly T[]): T[] => [...new Map(entries.map((entry) => [entry.volumeId, entry])).values()];

/** The volumes whose copies left the covered hosts since shortly before each host's trouble began (`dependency-memory.ts`), those the component concerns. */
async function formerDependentsAffected(deps: EvaluateHealthDeps, componentId: string, covered: readonly Host[], current: ReadonlySet<string>, now: Date) {
  const perHost = await Promise.all(
    covered.map(async (host) => {
      const formers = (await deps.dependencies.formerDependentsOf(host.hostId)).filter((former) => copyDependsOn(componentId, host, former));
      if (formers.length === 0) return [];
      return affectedFormerDependents(formers, troubleStartOf(host, await deps.store.getComponent(hostComponentId(host.hostId))), current, now);
    }),
  );
  return uniqueVolumes(perHost.flat());
}

/**
 * Advances the stored event and saves it (versioned). Before a save replaces an entity's status,
 * `beforeOverwrite` records that status's notice: a pass that saved the status and crashed before
 * its notice leaves the notice owed, and whoever replaces the status pays it first (`statusesOverwritten`).
 */
async function advanceStored(
  deps: EvaluateHealthDeps,
  first: HealthEvent,
  observation: EventObservation,
  beforeOverwrite: (read: HealthEvent, next: HealthEvent) => Promise<void>,
) {
  let event = first;
  for (let attempt = 1; ; attempt += 1) {
    const { event: next, changes } = advanceEvent(event, observation);
    const unchanged = changes.length === 0 && next.timeline.length === event.timeline.length && next.level === event.level && next.statusCode === event.statusCode;
    if (unchanged) return { changes, stored: event };
    await beforeOverwrite(event, next);
    const stored = { ...next, version: event.version + 1 };
    try {
      await deps.store.saveEvent(stored);
      return { changes, stored };
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= EVENT_SAVE_ATTEMPTS) throw error;
      // Another evaluator advanced it first: advance from what it wrote.
      const reread = await deps.store.getEvent(event.eventId);
      if (!reread) throw error;
      event = reread;
    }
  }
}

/**
 * Records the notice of one entity change (once, claimed by this pass), applies the tenant's
 * remediation to an impaired volume (once), and delivers it.
 */
async function notify(
  deps: EvaluateHealthDeps,
  event: HealthEvent,
  change: AffectedEntity,
  component: ComponentHealth,
  hostIds: readonly string[],
  correlatedComments: number,
  claim: NoticeClaim,
  now: Date,
  tally: Tally,
): Promise<{ recorded: boolean; sent: boolean; acted: boolean }> {
  const settings = (await deps.store.getRemediation(change.tenantId)) ?? DEFAULT_REMEDIATION;
  const rule = ruleFor(settings, change.entityValue);
  let acted = false;
  let recommendation;
  if (change.statusCode === 'IMPAIRED') {
    const decision = decideRemediation(rule, { red: component.level === 'red', correlatedComments, now });
    if (decision.action === 'recommend') recommendation = moveRecommendation(change.entityValue, hostIds, event.componentId);
    if (decision.action !== 'none' && (await deps.store.claimAction(event.eventId, change.entityValue))) {
      const action = await remediate(deps, event, change, hostIds, decision, now);
      await recordAction(deps, event.eventId, action);
      acted = true;
    }
  }
  const notice: Notice = noticeOf(event, change, recommendation);
  // Recorded before: delivered, or in the outbox for `redeliver` (never delivered from here twice).
  if (!(await deps.store.recordNotice(notice, claim))) return { recorded: false, sent: false, acted };
  return { recorded: true, sent: await deliverClaimed(deps, notice, claim, 0, now, tally), acted };
}

async function remediate(
  deps: EvaluateHealthDeps,
  event: HealthEvent,
  change: AffectedEntity,
  hostIds: readonly string[],
  decision: { action: 'move' | 'recommend' | 'none'; reason: string },
  now: Date,
): Promise<EventAction> {
  const base = { at: now.toISOString(), tenantId: change.tenantId, volumeId: change.entityValue, action: decision.action };
  if (decision.action !== 'move') return { ...base, outcome: `${decision.reason}: the notice carries the call that moves the copy` };
  try {
    const modificationId = await deps.mover.moveOff(change.tenantId, change.entityValue, hostIds);
    return { ...base, outcome: `${decision.reason}: started modification ${modificationId} moving the copy off ${event.componentId}`, modificationId };
  } catch (error) {
    return { ...base, outcome: `${decision.reason}: the move could not start: ${(error as Error).message}`.slice(0, 1024) };
  }
}

async function recordAction(deps: EvaluateHealthDeps, eventId: string, action: EventAction): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    const event = await deps.store.getEvent(eventId);
    if (!event) return;
    try {
      await deps.store.saveEvent({
        ...event,
        actions: [...event.actions, action],
        timeline: [...event.timeline, { at: action.at, message: `${action.action} for ${action.volumeId}: ${action.outcome}` }],
        lastUpdatedTime: action.at,
        version: event.version + 1,
      });
      return;
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= EVENT_SAVE_ATTEMPTS) throw error;
    }
  }
}
