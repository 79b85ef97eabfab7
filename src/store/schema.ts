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

export interface MigrationsTable {
  name: string;
  applied_at: Timestamp;
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
  retenta_migrations: MigrationsTable;
  promo_pools: PromoPoolsTable;
  promo_codes: PromoCodesTable;
  promo_code_holders: PromoCodeHoldersTable;
  promo_code_events: PromoCodeEventsTable;
}
