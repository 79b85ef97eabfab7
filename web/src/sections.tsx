import { lazy, type ComponentType, type LazyExoticComponent } from 'react';

/**
 * The product's sections, in navigation order. A section with a `page` is built; the others show a
 * "coming soon" placeholder until their screen lands: add `page: lazy(() => import('./pages/<section>/...'))`.
 * Each page is its own chunk of the production bundle.
 */
export interface Section {
  path: string;
  label: string;
  group: string;
  icon: string;
  description: string;
  page?: LazyExoticComponent<ComponentType>;
}

export const sections: Section[] = [
  { path: 'profiles', label: 'Profiles', group: 'Audience', icon: 'users', description: 'Customers, their fields, subscriptions and everything that happened to them.', page: lazy(() => import('./pages/profiles/ProfilesPage')) },
  { path: 'segments', label: 'Segments', group: 'Audience', icon: 'filter', description: 'Dynamic and static groups of profiles built from conditions, with a live count.', page: lazy(() => import('./pages/segments/SegmentsPage')) },
  { path: 'scenarios', label: 'Scenarios', group: 'Automation', icon: 'flow', description: 'Drag-and-drop customer journeys: triggers, waits, conditions, messages and rewards.', page: lazy(() => import('./pages/scenarios/ScenariosPage')) },
  { path: 'campaigns', label: 'Campaigns', group: 'Automation', icon: 'megaphone', description: 'Broadcasts, regular and trigger mailings to segments, with A/B variants and control groups.', page: lazy(() => import('./pages/campaigns/CampaignsPage')) },
  { path: 'templates', label: 'Templates', group: 'Messaging', icon: 'template', description: 'Liquid and MJML message templates with a preview for any profile.', page: lazy(() => import('./pages/templates/TemplatesPage')) },
  { path: 'messages', label: 'Messages', group: 'Messaging', icon: 'mail', description: 'Every message sent, skipped or failed, with opens and clicks.', page: lazy(() => import('./pages/messages/MessagesPage')) },
  { path: 'channels', label: 'Channels', group: 'Messaging', icon: 'send', description: 'Email, SMS, push and Telegram providers, frequency caps and quiet hours.', page: lazy(() => import('./pages/channels/ChannelsPage')) },
  { path: 'loyalty', label: 'Loyalty', group: 'Loyalty', icon: 'star', description: 'Programs, tiers, members, promotions and reports.', page: lazy(() => import('./pages/loyalty/LoyaltyPage')) },
  { path: 'promo', label: 'Promo codes', group: 'Loyalty', icon: 'ticket', description: 'Code pools: generate, import, issue, export.', page: lazy(() => import('./pages/promo/PromoPage')) },
  { path: 'market', label: 'Market', group: 'Commerce', icon: 'bag', description: 'Products and orders from your shop.', page: lazy(() => import('./pages/market/MarketPage')) },
  { path: 'hooks', label: 'Hooks', group: 'Integrations', icon: 'hook', description: 'Deliver events to webhooks and RabbitMQ.', page: lazy(() => import('./pages/hooks/HooksPage')) },
  { path: 'tokens', label: 'API tokens', group: 'Integrations', icon: 'key', description: 'Tokens for shops, apps and scripts.', page: lazy(() => import('./pages/tokens/TokensPage')) },
  { path: 'settings', label: 'Settings', group: 'Settings', icon: 'gear', description: 'Messaging settings and installation details.', page: lazy(() => import('./pages/settings/SettingsPage')) },
];
