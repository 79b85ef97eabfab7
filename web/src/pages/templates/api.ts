import { useQuery } from '@tanstack/react-query';
import { api, type Page } from '../../api/client';

export const TEMPLATE_CHANNELS = ['email', 'sms', 'push', 'telegram', 'webhook'] as const;
export type TemplateChannel = (typeof TEMPLATE_CHANNELS)[number];

export interface Template {
  id: string;
  name: string;
  channel: TemplateChannel;
  format: 'html' | 'mjml' | 'text';
  subject: string | null;
  preheader: string | null;
  from: string | null;
  title: string | null;
  url: string | null;
  parse_mode: string | null;
  body: string;
  transactional: boolean;
  created_at: string;
  updated_at: string;
}

export interface Rendered {
  subject: string | null;
  body: string;
  text: string;
  preheader?: string | null;
  from?: string | null;
  sms?: { encoding: string; length: number; segments: number };
}

/** Every template (for pickers: the scenario send step). */
export function useAllTemplates() {
  return useQuery({ queryKey: ['templates', 'all'], queryFn: ({ signal }) => api.get<Page<Template>>('/templates', { limit: 1000 }, signal), staleTime: 30_000 });
}
