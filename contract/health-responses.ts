import { z } from 'zod';
import { CUSTOMER_CHANNELS, INGESTED_CHANNELS } from '../core/health/comment';
import { ENTITY_STATUSES, EVENT_CATEGORIES } from '../core/health/health-event';
import { HEALTH_LEVELS } from '../core/health/health-level';
import { REMEDIATION_ACTIONS } from '../core/health/remediation';
import { COMPONENT_KINDS } from '../core/health/topology';
import { responseSchemas } from './responses';

/** What the health routes answer (docs/health.md). */
const Timestamp = z.iso.datetime({ offset: true });
const Level = z.enum(HEALTH_LEVELS);
const Reasons = z.array(z.string());

const ComponentView = z.strictObject({
  componentId: z.string(),
  kind: z.enum(COMPONENT_KINDS),
  parentId: z.string().optional(),
  zone: z.string(),
  level: Level,
  score: z.number(),
  reasons: Reasons,
  evaluatedAt: Timestamp,
  levelSince: Timestamp,
});

export const ComponentListSchema = z.strictObject({ components: z.array(ComponentView) }).register(responseSchemas, { id: 'HealthComponentList' });

export const ComponentDetailSchema = ComponentView.extend({
  history: z.array(z.strictObject({ at: Timestamp, level: Level, score: z.number(), reasons: Reasons })),
  openEventId: z.string().nullable(),
}).register(responseSchemas, { id: 'HealthComponent', description: 'One component, its history (newest first) and its open event' });

const RecommendedAction = z.strictObject({ method: z.literal('POST'), path: z.string(), body: z.record(z.string(), z.unknown()), why: z.string() });

const EventView = z.strictObject({
  eventId: z.string(),
  service: z.literal('BLOCKPLANE_STORAGE'),
  eventTypeCode: z.string(),
  eventTypeCategory: z.enum(EVENT_CATEGORIES),
  eventScopeCode: z.enum(['PUBLIC', 'ACCOUNT_SPECIFIC']),
  componentId: z.string(),
  zone: z.string(),
  statusCode: z.enum(['open', 'closed']),
  startTime: Timestamp,
  lastUpdatedTime: Timestamp,
  endTime: Timestamp.optional(),
  description: z.string(),
  trigger: z.strictObject({ kind: z.enum(['health', 'correlated-comments', 'correlation-score']), componentId: z.string(), reasons: Reasons }),
  level: Level,
  affectedEntities: z.array(z.strictObject({ entityValue: z.string(), statusCode: z.enum(ENTITY_STATUSES), lastUpdatedTime: Timestamp })),
  timeline: z.array(z.strictObject({ at: Timestamp, message: z.string() })),
  actions: z.array(z.strictObject({ at: Timestamp, volumeId: z.string(), action: z.enum(REMEDIATION_ACTIONS), outcome: z.string(), modificationId: z.string().optional() })),
  flaps: z.number().int(),
});

const NoticeView = z.strictObject({
  noticeId: z.string(),
  eventId: z.string(),
  volumeId: z.string(),
  statusCode: z.enum(ENTITY_STATUSES),
  at: Timestamp,
  eventTypeCode: z.string(),
  componentId: z.string(),
  description: z.string(),
  recommendedAction: RecommendedAction.optional(),
});

export const DeadLetterListSchema = z
  .strictObject({
    deadLetters: z.array(
      z.strictObject({
        notice: NoticeView.extend({ tenantId: z.string() }),
        lastFailure: z.strictObject({ failedDeliveries: z.number().int(), error: z.string(), at: Timestamp }),
      }),
    ),
  })
  .register(responseSchemas, { id: 'HealthDeadLetterList', description: 'The notices whose deliveries failed for good, each with its last failure' });

export const RedrivenNoticeSchema = z
  .strictObject({ noticeId: z.string(), redriven: z.literal(true) })
  .register(responseSchemas, { id: 'HealthRedrivenNotice', description: 'The notice is back in the outbox; the next evaluation delivers it' });

export const EventListSchema = z
  .strictObject({ events: z.array(EventView), notices: z.array(NoticeView) })
  .register(responseSchemas, { id: 'HealthEventList', description: "The caller's events (its own entities and actions only) and the notices it was sent" });

export const VolumeHealthSchema = z
  .strictObject({
    volumeId: z.string(),
    level: z.enum([...HEALTH_LEVELS, 'unknown']),
    components: z.array(
      z.strictObject({ componentId: z.string(), kind: z.string(), level: z.enum([...HEALTH_LEVELS, 'unknown']), score: z.number().nullable(), reasons: Reasons, evaluatedAt: Timestamp.nullable() }),
    ),
    openEvents: z.array(EventView),
  })
  .register(responseSchemas, { id: 'VolumeHealth', description: "The components one of the caller's volumes uses, and its open events" });

const CommentView = z.strictObject({
  commentId: z.string(),
  text: z.string(),
  volumeId: z.string().optional(),
  channel: z.enum([...CUSTOMER_CHANNELS, ...INGESTED_CHANNELS]),
  receivedAt: Timestamp,
  verdict: z.enum(['noise', 'correlated']),
  correlations: z.array(z.strictObject({ componentId: z.string(), score: z.number(), reasons: Reasons })),
});
export const CommentSchema = CommentView.register(responseSchemas, { id: 'Comment', description: 'The comment with its verdict and its correlation per component' });
export const CommentBatchSchema = z.strictObject({ comments: z.array(CommentView) }).register(responseSchemas, { id: 'CommentBatch' });

const Rule = z.strictObject({
  onComponentRed: z.enum(REMEDIATION_ACTIONS),
  afterCorrelatedComments: z.number().int().optional(),
  quietHours: z.strictObject({ startHour: z.number().int(), endHour: z.number().int() }).optional(),
});
export const RemediationSettingsViewSchema = z
  .strictObject({ default: Rule, volumes: z.record(z.string(), Rule).optional() })
  .register(responseSchemas, { id: 'RemediationSettings' });

export const WebhookViewSchema = z
  .strictObject({ url: z.string(), secret: z.string() })
  .register(responseSchemas, { id: 'Webhook', description: 'The webhook and its signing key, shown this once' });

export const SuggestionListSchema = z
  .strictObject({
    suggestions: z.array(
      z.strictObject({
        eventId: z.string(),
        eventTypeCode: z.string(),
        componentId: z.string(),
        description: z.string(),
        startTime: Timestamp,
        volumeIds: z.array(z.string()),
        why: Reasons,
        remediation: z.array(RecommendedAction),
        automaticActions: z.array(z.strictObject({ volumeId: z.string(), action: z.string(), outcome: z.string() })),
      }),
    ),
  })
  .register(responseSchemas, { id: 'HelpSuggestions' });

export const HelpPageSchema = z.string().register(responseSchemas, { id: 'HelpPage', description: 'The help box page (text/html)' });
