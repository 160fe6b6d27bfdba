import { createHash } from 'node:crypto';
import { VOLUME_ID_PATTERN } from '../ids';
import type { HealthLevel } from './health-level';
import type { Trigger } from './triggers';

/** AWS Health's vocabularies (docs/health.md, "Events"). */
export const EVENT_CATEGORIES = ['issue', 'scheduledChange', 'accountNotification'] as const;
export type EventCategory = (typeof EVENT_CATEGORIES)[number];
export const EventStatus = { open: 'open', closed: 'closed' } as const;
export type EventStatus = (typeof EventStatus)[keyof typeof EventStatus];
export const ENTITY_STATUSES = ['IMPAIRED', 'UNIMPAIRED', 'UNKNOWN', 'RESOLVED'] as const;
export type EntityStatus = (typeof ENTITY_STATUSES)[number];
/** Final: an event that closed never opens again (a new episode is a new event). */
export const isFinalEventStatus = (status: EventStatus): boolean => {
  switch (status) {
    case EventStatus.open:
      return false;
    case EventStatus.closed:
      return true;
    default:
      throw new Error(`unknown event status ${String(status)}`);
  }
};

/** A volume the event affects (AWS Health's affected entity), owned by one tenant. */
export interface AffectedEntity {
  readonly entityValue: string;
  readonly tenantId: string;
  readonly statusCode: EntityStatus;
  readonly lastUpdatedTime: string;
}

export interface TimelineEntry {
  readonly at: string;
  readonly message: string;
}

/** An automatic action taken for a tenant's volume (remediation), with its outcome. */
export interface EventAction {
  readonly at: string;
  readonly tenantId: string;
  readonly volumeId: string;
  readonly action: 'move' | 'recommend' | 'none';
  readonly outcome: string;
  readonly modificationId?: string;
}

export interface HealthEvent {
  readonly eventId: string;
  readonly service: 'BLOCKPLANE_STORAGE';
  readonly eventTypeCode: string;
  readonly eventTypeCategory: EventCategory;
  /** PUBLIC for a whole zone (every tenant with volumes there), ACCOUNT_SPECIFIC otherwise. */
  readonly eventScopeCode: 'PUBLIC' | 'ACCOUNT_SPECIFIC';
  readonly componentId: string;
  readonly zone: string;
  readonly statusCode: EventStatus;
  readonly startTime: string;
  readonly lastUpdatedTime: string;
  readonly endTime?: string;
  readonly description: string;
  readonly trigger: Trigger;
  readonly level: HealthLevel;
  readonly affectedEntities: readonly AffectedEntity[];
  readonly timeline: readonly TimelineEntry[];
  readonly actions: readonly EventAction[];
  /** Times the component turned green and back within the event (flapping, folded into it). */
  readonly flaps: number;
  /** Since when the component has been green without a trigger; the event closes after closeAfterGreenSeconds. */
  readonly greenSince?: string;
  readonly version: number;
}

/** One notice: a tenant told about one status of one entity of one event (the exactly-once key). */
export interface Notice {
  readonly noticeId: string;
  readonly eventId: string;
  readonly tenantId: string;
  readonly volumeId: string;
  readonly statusCode: EntityStatus;
  readonly at: string;
  readonly eventTypeCode: string;
  readonly componentId: string;
  readonly description: string;
  readonly recommendedAction?: RecommendedAction;
}

/** The exact API call a customer can run (remediation `recommend`). */
export interface RecommendedAction {
  readonly method: 'POST';
  readonly path: string;
  readonly body: Record<string, unknown>;
  readonly why: string;
}

export const noticeIdOf = (eventId: string, volumeId: string, status: EntityStatus): string => `${eventId}#${volumeId}#${status}`;

/** What `noticeIdOf` makes of an event id (`eventIdOf`), a volume id and a status. */
export const NOTICE_ID_PATTERN = new RegExp(`^evt-[0-9a-f]{20}#${VOLUME_ID_PATTERN.source.slice(1, -1)}#(${ENTITY_STATUSES.join('|')})$`);

/** The event id of a component's episode starting at `startTime` (the same for every concurrent opener). */
export function eventIdOf(componentId: string, startTime: string): string {
  return `evt-${createHash('sha256').update(`${componentId}@${startTime}`).digest('hex').slice(0, 20)}`;
}

const typeCodeOf = (componentId: string, trigger: Trigger): string => {
  const kind = componentId.split(':')[0].toUpperCase();
  return trigger.kind === 'health' ? `BLOCKPLANE_${kind}_DEGRADED` : `BLOCKPLANE_${kind}_REPORTED_ISSUE`;
};

/** A new open event for `componentId`, from the first trigger that fired. */
export function openEvent(componentId: string, zone: string, level: HealthLevel, trigger: Trigger, now: Date): HealthEvent {
  const at = now.toISOString();
  const byWhom = trigger.kind === 'health' ? 'detected by monitoring' : 'reported by customers and confirmed by monitoring data';
  return {
    eventId: eventIdOf(componentId, at),
    service: 'BLOCKPLANE_STORAGE',
    eventTypeCode: typeCodeOf(componentId, trigger),
    eventTypeCategory: 'issue',
    eventScopeCode: componentId.startsWith('zone:') ? 'PUBLIC' : 'ACCOUNT_SPECIFIC',
    componentId,
    zone,
    statusCode: EventStatus.open,
    startTime: at,
    lastUpdatedTime: at,
    description: `${componentId} is ${level} (${byWhom}): ${trigger.reasons.join('; ')}`,
    trigger,
    level,
    affectedEntities: [],
    timeline: [{ at, message: `opened: ${trigger.reasons.join('; ')}` }],
    actions: [],
    flaps: 0,
    version: 0,
  };
}

/** What the evaluator saw of the event's component in this pass. */
export interface EventObservation {
  readonly level: HealthLevel;
  /** The triggers that fire now (empty: none). */
  readonly triggers: readonly Trigger[];
  /** The volumes that depend on the component now, with their tenants. */
  readonly dependents: readonly { readonly volumeId: string; readonly tenantId: string }[];
  /** The volumes whose copies the component's trouble drove off it (a fail-over within seconds): affected, though no longer dependents. */
  readonly formerDependents: readonly { readonly volumeId: string; readonly tenantId: string }[];
  readonly closeAfterGreenSeconds: number;
  readonly now: Date;
}

/**
 * The event after one observation, and the entity status changes it made (each becomes a
 * notice). While anything fires or the component is not green, dependents are IMPAIRED (UNKNOWN
 * on a yellow component opened by its health alone); a volume that stopped depending on it is
 * UNIMPAIRED. A former dependent (its copy left since the trouble began) not yet in the event
 * enters as a dependent would, then turns UNIMPAIRED on the next observation. Once green without triggers the event waits `closeAfterGreenSeconds`: turning bad
 * again meanwhile counts a flap and keeps the same event (no new notices). Then it closes and every
 * entity is RESOLVED.
 */
export function advanceEvent(event: HealthEvent, observation: EventObservation): { event: HealthEvent; changes: AffectedEntity[] } {
  if (isFinalEventStatus(event.statusCode)) return { event, changes: [] };
  const at = observation.now.toISOString();
  const bad = observation.level !== 'green' || observation.triggers.length > 0;
  const timeline = [...event.timeline];
  let { flaps, greenSince, statusCode, endTime } = event;
  if (bad && greenSince !== undefined) {
    flaps += 1;
    greenSince = undefined;
    timeline.push({ at, message: `${event.componentId} is ${observation.level} again (flap ${flaps}); kept in this event` });
  } else if (!bad && greenSince === undefined) {
    greenSince = at;
    timeline.push({ at, message: `${event.componentId} is green; the event closes after ${observation.closeAfterGreenSeconds} s without trouble` });
  }
  const closing = !bad && greenSince !== undefined && observation.now.getTime() - Date.parse(greenSince) >= observation.closeAfterGreenSeconds * 1000;
  const statusNow = (current: EntityStatus | undefined): EntityStatus => {
    if (closing) return 'RESOLVED';
    if (current === 'IMPAIRED') return 'IMPAIRED';
    if (observation.level === 'red' || event.trigger.kind !== 'health' || observation.triggers.some((t) => t.kind !== 'health')) return 'IMPAIRED';
    return current ?? 'UNKNOWN';
  };
  const changes: AffectedEntity[] = [];
  const entities = new Map(event.affectedEntities.map((entity) => [entity.entityValue, entity]));
  const dependentIds = new Set(observation.dependents.map((d) => d.volumeId));
  for (const dependent of observation.dependents) {
    const current = entities.get(dependent.volumeId);
    const next = statusNow(current?.statusCode === 'UNIMPAIRED' ? undefined : current?.statusCode);
    if (current?.statusCode !== next) {
      const entity = { entityValue: dependent.volumeId, tenantId: dependent.tenantId, statusCode: next, lastUpdatedTime: at };
      entities.set(dependent.volumeId, entity);
      changes.push(entity);
    }
  }
  // A former dependent the event has not told yet is told what a dependent would be (IMPAIRED on
  // red); from the next pass on it is UNIMPAIRED like any volume that stopped depending on it.
  const toldNow = new Set<string>();
  for (const former of observation.formerDependents) {
    if (dependentIds.has(former.volumeId) || entities.has(former.volumeId)) continue;
    const entity = { entityValue: former.volumeId, tenantId: former.tenantId, statusCode: statusNow(undefined), lastUpdatedTime: at };
    entities.set(former.volumeId, entity);
    changes.push(entity);
    toldNow.add(former.volumeId);
  }
  for (const entity of entities.values()) {
    if (dependentIds.has(entity.entityValue) || toldNow.has(entity.entityValue) || entity.statusCode === 'RESOLVED') continue;
    const next: EntityStatus = closing ? 'RESOLVED' : 'UNIMPAIRED';
    if (entity.statusCode === next) continue;
    const changed = { ...entity, statusCode: next, lastUpdatedTime: at };
    entities.set(entity.entityValue, changed);
    changes.push(changed);
  }
  if (closing) {
    statusCode = EventStatus.closed;
    endTime = at;
    timeline.push({ at, message: `closed: ${event.componentId} stayed green for ${observation.closeAfterGreenSeconds} s` });
  }
  const updated: HealthEvent = {
    ...event,
    level: observation.level,
    statusCode,
    ...(endTime !== undefined ? { endTime } : {}),
    greenSince,
    flaps,
    timeline,
    affectedEntities: [...entities.values()],
    lastUpdatedTime: changes.length > 0 || timeline.length !== event.timeline.length ? at : event.lastUpdatedTime,
  };
  return { event: updated, changes };
}

/**
 * The entities of `read` whose status `next` replaces: each of those statuses is owed its notice
 * before `next` is saved over `read` (a crash after `read` was saved may have left it unsent).
 */
export function statusesOverwritten(read: HealthEvent, next: HealthEvent): AffectedEntity[] {
  const after = new Map(next.affectedEntities.map((entity) => [entity.entityValue, entity.statusCode]));
  return read.affectedEntities.filter((entity) => after.get(entity.entityValue) !== entity.statusCode);
}

/** The notice for one entity change of `event`. */
export function noticeOf(event: HealthEvent, change: AffectedEntity, recommendedAction?: RecommendedAction): Notice {
  return {
    noticeId: noticeIdOf(event.eventId, change.entityValue, change.statusCode),
    eventId: event.eventId,
    tenantId: change.tenantId,
    volumeId: change.entityValue,
    statusCode: change.statusCode,
    at: change.lastUpdatedTime,
    eventTypeCode: event.eventTypeCode,
    componentId: event.componentId,
    description: event.description,
    ...(recommendedAction ? { recommendedAction } : {}),
  };
}

/** What a tenant sees of an event: only its own entities and actions. */
export function eventForTenant(event: HealthEvent, tenantId: string) {
  const { version: _version, greenSince: _greenSince, ...visible } = event;
  return {
    ...visible,
    affectedEntities: event.affectedEntities.filter((entity) => entity.tenantId === tenantId).map(({ tenantId: _t, ...entity }) => entity),
    actions: event.actions.filter((action) => action.tenantId === tenantId).map(({ tenantId: _t, ...action }) => action),
  };
}
