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
}
