/** Shapes of the API's answers, as API.md and the OpenAPI document describe them. */

export type Scope = 'admin' | 'write' | 'read';
export type SubscriptionStatus = 'subscribed' | 'unsubscribed' | 'pending' | 'suppressed';
export const CHANNELS = ['email', 'sms', 'push', 'telegram'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface Profile {
  id: string;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  fields: Record<string, unknown>;
  subscriptions: Partial<Record<Channel, SubscriptionStatus>>;
  created_at: string;
  updated_at: string;
}

export interface TimelineEntry {
  id: string;
  at: string;
  kind: string;
  title: string;
  data: unknown;
}

export interface Token {
  id: string;
  name: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
}

export interface CreatedToken extends Omit<Token, 'last_used_at'> {
  token: string;
}

export interface Job {
  id: string;
  kind: string;
  status: 'running' | 'done' | 'failed';
  done: number;
  total: number | null;
  result?: unknown;
  error?: string | null;
}

export interface ImportResult {
  created: number;
  updated: number;
  failed: number;
  errors: { row: number; message: string }[];
}
