import type { ColumnType, Generated, JSONColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type Json<T extends object | null = Record<string, unknown>> = JSONColumnType<T, string, string>;

export interface ApiTokensTable {
  id: string;
  name: string;
  scopes: string[];
  token_hash: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
}

export interface IdempotencyKeysTable {
  token_id: string;
  key: string;
  method: string;
  path: string;
  body_hash: string;
  status_code: number | null;
  response_headers: Json<Record<string, string>> | null;
  response_body: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface ProfilesTable {
  id: string;
  email: string | null;
  email_norm: string | null;
  phone: string | null;
  external_id: string | null;
  fields: Json;
  subscriptions: Json<Record<string, string>>;
  created_at: Timestamp;
  updated_at: Timestamp;
  erased_at: Timestamp | null;
}

export interface EventsTable {
  id: string;
  profile_id: string;
  name: string;
  properties: Json;
  occurred_at: Timestamp;
  received_at: Timestamp;
  event_id: string | null;
}

export interface JobsTable {
  id: string;
  kind: string;
  status: 'running' | 'done' | 'failed';
  done: Generated<number>;
  total: number | null;
  result: Json<object> | null;
  error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SegmentsTable {
  id: string;
  name: string;
  description: string | null;
  type: 'dynamic' | 'static';
  conditions: Json<object> | null;
  refs: string[];
  dependencies: string[];
  time_relative: boolean;
  refresh_at: Timestamp | null;
  refreshed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface SegmentMembersTable {
  segment_id: string;
  profile_id: string;
  since: Timestamp;
}

export interface MigrationsTable {
  name: string;
  applied_at: Timestamp;
}

export interface MessageTemplatesTable {
  id: string;
  name: string;
  channel: string;
  format: string;
  subject: string | null;
  preheader: string | null;
  from_address: string | null;
  title: string | null;
  url: string | null;
  parse_mode: string | null;
  body: string;
  compiled_body: string;
  transactional: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MessageChannelsTable {
  id: string;
  name: string;
  type: string;
  provider: string;
  config: Json;
  secrets: string | null;
  is_default: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MessagesTable {
  id: string;
  profile_id: string;
  template_id: string | null;
  channel: string;
  channel_id: string | null;
  provider: string;
  to_address: string | null;
  subject: string | null;
  body: string | null;
  text_body: string | null;
  extra: Json;
  transactional: boolean;
  status: string;
  reason: string | null;
  deferred_reason: string | null;
  attempts: Generated<number>;
  due_at: Timestamp | null;
  scheduled_at: Timestamp;
  provider_response: Json<object> | null;
  dedupe_key: string;
  scenario_id: string | null;
  scenario_version: number | null;
  node_id: string | null;
  instance_id: string | null;
  campaign_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  sent_at: Timestamp | null;
  opened_at: Timestamp | null;
  clicked_at: Timestamp | null;
  clicks: Generated<number>;
}

export interface AppSettingsTable {
  key: string;
  value: Json<object>;
  updated_at: Timestamp;
}

export interface AppSecretsTable {
  name: string;
  value: string;
  created_at: Timestamp;
}

export interface ActionHooksTable {
  id: string;
  name: string | null;
  events: string[];
  target_type: string;
  target: Json;
  secrets: string | null;
  active: boolean;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface HookDeliveriesTable {
  id: string;
  hook_id: string;
  event_id: string;
  event_type: string;
  event_date: Timestamp;
  profile_id: string;
  event_data: Json;
  status: string;
  attempts: Generated<number>;
  due_at: Timestamp | null;
  last_error: string | null;
  created_at: Timestamp;
  delivered_at: Timestamp | null;
}

export interface PromoPoolsTable {
  id: string;
  name: string;
  template_name: string;
  generator: Json<object> | null;
  valid_from: Timestamp | null;
  valid_to: Timestamp | null;
  code_ttl: string | null;
  max_codes: number | null;
  multi_profile: boolean;
  auto_link: boolean;
  scenario_can_create: boolean;
  campaign_can_create: boolean;
  custom_fields: Json<string[]>;
  status: 'active' | 'paused';
  /** Codes the pool holds, deleted ones included (migration 0013). */
  codes_total: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PromoCodesTable {
  code: string;
  pool_id: string;
  status: Generated<string>;
  profile_id: string | null;
  issued_at: Timestamp | null;
  expires_at: Timestamp | null;
  redeemed_at: Timestamp | null;
  order_id: string | null;
  fields: Json | null;
  created_at: Timestamp;
  seq: Generated<number>;
}

export interface PromoCodeHoldersTable {
  code: string;
  profile_id: string;
  pool_id: string;
  issued_at: Timestamp;
  expires_at: Timestamp | null;
  redeemed_at: Timestamp | null;
  order_id: string | null;
}

export interface PromoCodeEventsTable {
  id: string;
  profile_id: string;
  pool_id: string;
  code: string;
  kind: string;
  at: Timestamp;
  data: Json;
}

/** The whole schema as Kysely sees it. Each later module adds its tables here. */
export interface DB {
  api_tokens: ApiTokensTable;
  idempotency_keys: IdempotencyKeysTable;
  profiles: ProfilesTable;
  events: EventsTable;
  jobs: JobsTable;
  segments: SegmentsTable;
  segment_members: SegmentMembersTable;
  retenta_migrations: MigrationsTable;
  message_templates: MessageTemplatesTable;
  message_channels: MessageChannelsTable;
  messages: MessagesTable;
  app_settings: AppSettingsTable;
  app_secrets: AppSecretsTable;
  action_hooks: ActionHooksTable;
  hook_deliveries: HookDeliveriesTable;
  promo_pools: PromoPoolsTable;
  promo_codes: PromoCodesTable;
  promo_code_holders: PromoCodeHoldersTable;
  promo_code_events: PromoCodeEventsTable;
  message_event_outbox: MessageEventOutboxTable;
  campaigns: CampaignsTable;
  campaign_runs: CampaignRunsTable;
  campaign_recipients: CampaignRecipientsTable;
}

/** Events of messages written in a sender's transaction, waiting to be published on the bus. */
export interface MessageEventOutboxTable {
  id: string;
  event_ids: string[];
  created_at: Timestamp;
}

export interface CampaignsTable {
  id: string;
  name: string;
  kind: 'broadcast' | 'regular' | 'trigger';
  status: 'draft' | 'scheduled' | 'running' | 'paused' | 'completed' | 'canceled';
  channel: string;
  variants: Json<{ template_id: string; weight: number }[]>;
  audience: Json<{ segment_ids: string[]; exclude_segment_ids?: string[] } | null> | null;
  schedule: Json<{ at?: string; cron?: string; timezone?: string } | null> | null;
  send_in_profile_timezone: boolean;
  control_percent: ColumnType<number | string, number | undefined, number>;
  throttle_per_minute: number | null;
  winner_selection: Json<{ test_percent: number; metric: 'opens' | 'clicks' | 'goal'; window: string } | null> | null;
  goal: Json<{ event: string; within: string } | null> | null;
  data: Json;
  next_run_at: Timestamp | null;
  started_at: Timestamp | null;
  paused_at: Timestamp | null;
  completed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CampaignRunsTable {
  id: string;
  campaign_id: string;
  scheduled_for: Timestamp;
  status: 'sending' | 'completed' | 'canceled';
  audience: Generated<number>;
  remaining: Generated<number>;
  rest: Generated<number>;
  snapshot_ms: number | null;
  test_sent_at: Timestamp | null;
  winner_due_at: Timestamp | null;
  winner_variant: number | null;
  winner_results: Json<object[]> | null;
  throttle_window: Timestamp | null;
  throttle_count: Generated<number>;
  started_at: Timestamp;
  completed_at: Timestamp | null;
}

export interface CampaignRecipientsTable {
  run_id: string;
  profile_id: string;
  seq: Generated<number>;
  grp: 'all' | 'test' | 'rest' | 'control' | 'global_control';
  variant: number | null;
  status: 'pending' | 'scheduled' | 'held' | 'sent' | 'skipped' | 'control' | 'canceled';
  reason: string | null;
  message_id: string | null;
  deferred: Generated<boolean>;
  due_at: Timestamp | null;
  done_at: Timestamp | null;
}

/* Promotions, partner products and checkouts (merged into DB below). */
export interface LoyaltyPromotionsTable {
  id: string;
  program_id: string;
  name: string;
  type: string;
  priority: number;
  combinable: boolean;
  starts_at: Timestamp | null;
  ends_at: Timestamp | null;
  status: string;
  conditions: Json<object> | null;
  applies_to: Json<{ product_ids: string[]; categories: string[]; skus: string[] }> | null;
  promo_code_pool_id: string | null;
  benefit: Json<{ kind: string; value: number; max_discount: number | null }>;
  limits: Json<{ per_member: number | null; total_uses: number | null; budget_points: number | null }>;
  limit_total_uses: number | null;
  limit_budget_points: number | null;
  uses: Generated<number>;
  points_given: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface LoyaltyPromotionMembersTable {
  promotion_id: string;
  member_id: string;
  uses: number;
}

export interface LoyaltyPromotionVersionsTable {
  program_id: string;
  version: number;
}

export interface LoyaltyPartnerProductsTable {
  program_id: string;
  product_id: string;
  cashback_percent: ColumnType<string | null, number | null, number | null>;
  discount_percent: ColumnType<string | null, number | null, number | null>;
  starts_at: Timestamp | null;
  ends_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MarketCheckoutsTable {
  order_id: string;
  program_id: string;
  profile_id: string;
  member_id: string;
  request_hash: string;
  calculation_id: string;
  result: Json<object>;
  uses_released: Generated<boolean>;
  points_released: ColumnType<Record<string, number>, string | undefined, string>;
  created_at: Timestamp;
}

export interface MarketCatalogueVersionTable {
  id: Generated<boolean>;
  version: number;
}

export interface DB {
  market_catalogue_version: MarketCatalogueVersionTable;
  loyalty_promotions: LoyaltyPromotionsTable;
  loyalty_promotion_members: LoyaltyPromotionMembersTable;
  loyalty_promotion_versions: LoyaltyPromotionVersionsTable;
  loyalty_partner_products: LoyaltyPartnerProductsTable;
  market_checkouts: MarketCheckoutsTable;
}

/** Per-profile RFM quintiles over the last 365 days of orders (store/rfm.ts). */
export interface RfmScoresTable {
  profile_id: string;
  r: number;
  f: number;
  m: number;
  last_order_at: Timestamp;
  orders: number;
  monetary: number;
}

/** The RFM refresh schedule: one row. */
export interface RfmRefreshTable {
  id: number;
  refreshed_at: Timestamp | null;
  next_at: Timestamp;
  scored: Generated<number>;
}

export interface DB {
  rfm_scores: RfmScoresTable;
  rfm_refresh: RfmRefreshTable;
}
