import { IngestCommentsRequestSchema, PostCommentRequestSchema } from '../core/health/comment';
import { HelpSuggestRequestSchema } from '../core/health/help-suggest';
import { ComponentIdSchema, ListComponentsQuerySchema, ListDeadLettersQuerySchema, ListEventsQuerySchema, PutWebhookRequestSchema, RedriveNoticeRequestSchema } from '../core/health/health-requests';
import { RemediationSettingsSchema } from '../core/health/remediation';
import { VolumeIdSchema } from '../core/volume-requests';
import {
  CommentBatchSchema,
  CommentSchema,
  ComponentDetailSchema,
  ComponentListSchema,
  DeadLetterListSchema,
  EventListSchema,
  HelpPageSchema,
  RedrivenNoticeSchema,
  RemediationSettingsViewSchema,
  SuggestionListSchema,
  VolumeHealthSchema,
  WebhookViewSchema,
} from './health-responses';
import type { ApiRoute } from './routes';

/** The health routes (docs/health.md, "API"). */
export const HEALTH_ROUTES: readonly ApiRoute[] = [
  {
    operationId: 'ListHealthComponents', method: 'get', path: '/health/components', caller: 'operator',
    summary: 'Operators: every component (disk, host, rack, zone) with its level, score and reasons',
    query: ListComponentsQuerySchema,
    success: { status: 200, description: 'The components', schema: ComponentListSchema },
    errors: [],
  },
  {
    operationId: 'GetHealthComponent', method: 'get', path: '/health/components/{componentId}', caller: 'operator',
    summary: 'Operators: one component with its level history and open event',
    pathParameters: { componentId: ComponentIdSchema },
    success: { status: 200, description: 'The component', schema: ComponentDetailSchema },
    errors: [404],
  },
  {
    operationId: 'ListDeadLetters', method: 'get', path: '/health/dead-letters', caller: 'operator',
    summary: 'Operators: the notices whose delivery failed 12 times (about 5 hours of tries with backoff), each with its last failure',
    query: ListDeadLettersQuerySchema,
    success: { status: 200, description: 'The dead letters', schema: DeadLetterListSchema },
    errors: [],
  },
  {
    operationId: 'RedriveNotice', method: 'post', path: '/health/dead-letters/redrive', caller: 'operator',
    summary: 'Operators: puts a dead-lettered notice back into the outbox with no failures; the next evaluation delivers it',
    body: RedriveNoticeRequestSchema,
    success: { status: 200, description: 'The notice is back in the outbox', schema: RedrivenNoticeSchema },
    errors: [404],
  },
  {
    operationId: 'GetVolumeHealth', method: 'get', path: '/volumes/{volumeId}/health', caller: 'customer',
    summary: "The health of the hosts, racks and zones one of the caller's volumes uses, and its open events",
    pathParameters: { volumeId: VolumeIdSchema },
    success: { status: 200, description: 'The volume health', schema: VolumeHealthSchema },
    errors: [404],
  },
  {
    operationId: 'PostComment', method: 'post', path: '/comments', caller: 'customer',
    summary: 'Reports a problem; stored with its correlation to the components of the caller’s volumes (noise until it correlates)',
    body: PostCommentRequestSchema,
    success: { status: 201, description: 'The comment and its verdict', schema: CommentSchema },
    errors: [413],
  },
  {
    operationId: 'IngestComments', method: 'post', path: '/comments/ingest', caller: 'operator',
    summary: 'Operators: comments from other channels (email, forum, social, chat), each with its tenant when known',
    body: IngestCommentsRequestSchema,
    success: { status: 201, description: 'The comments and their verdicts', schema: CommentBatchSchema },
    errors: [413],
  },
  {
    operationId: 'ListEvents', method: 'get', path: '/events', caller: 'customer',
    summary: "The caller's health events (AWS Health's shape, its own entities only) and the notices it was sent",
    query: ListEventsQuerySchema,
    success: { status: 200, description: 'Events and notices', schema: EventListSchema },
    errors: [],
  },
  {
    operationId: 'PutRemediationSettings', method: 'put', path: '/settings/remediation', caller: 'customer',
    summary: 'Replaces what is done for the caller’s volumes when a component they use is red or reported (move, recommend, none)',
    body: RemediationSettingsSchema,
    success: { status: 200, description: 'The settings stored', schema: RemediationSettingsViewSchema },
    errors: [413],
  },
  {
    operationId: 'GetRemediationSettings', method: 'get', path: '/settings/remediation', caller: 'customer',
    summary: "The caller's remediation settings (the default: recommend)",
    success: { status: 200, description: 'The settings', schema: RemediationSettingsViewSchema },
    errors: [],
  },
  {
    operationId: 'PutWebhook', method: 'put', path: '/settings/webhook', caller: 'customer',
    summary: "Sets the caller's notice webhook; answers its new HMAC signing key once",
    body: PutWebhookRequestSchema,
    success: { status: 200, description: 'The webhook and its key', schema: WebhookViewSchema },
    errors: [413],
  },
  {
    operationId: 'SuggestHelp', method: 'post', path: '/help/suggest', caller: 'customer',
    summary: "The caller's open events that match the text typed so far, with their remediation options",
    body: HelpSuggestRequestSchema,
    success: { status: 200, description: 'Matching events', schema: SuggestionListSchema },
    errors: [413],
  },
  {
    operationId: 'GetHelpPage', method: 'get', path: '/help', caller: 'customer', unsigned: true,
    summary: 'The help box page (text/html, served without a signature; its calls are signed)',
    success: { status: 200, description: 'The page', schema: HelpPageSchema, contentType: 'text/html' },
    errors: [],
  },
];
