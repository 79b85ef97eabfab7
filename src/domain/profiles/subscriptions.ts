export const CHANNELS = ['email', 'sms', 'push', 'telegram'] as const;
export type Channel = (typeof CHANNELS)[number];
export const SUBSCRIPTION_STATUSES = ['subscribed', 'unsubscribed', 'pending', 'suppressed'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export type Subscriptions = Partial<Record<Channel, SubscriptionStatus>>;
