import type { AppContext } from '../context.js';
import { emptyCatalogue, LazyDrop, type CatalogueReader, type CompiledTemplate } from '../domain/messaging/template.js';
import type { Executor } from '../store/db.js';
import type { RecipientProfile } from '../store/messages.js';
import type { TemplateRow } from '../store/templates.js';

/** Where a send comes from: every message names its scenario, version, node and instance, or its campaign. */
export interface SendOrigin {
  scenario_id?: string;
  scenario_version?: number;
  node_id?: string;
  instance_id?: string;
  campaign_id?: string;
  /** Makes the send idempotent: a second send with the same key writes nothing and answers the first message. */
  dedupe_key?: string;
}

/** What a context provider gets to build its part of the template context. */
export interface ContextInput {
  ctx: AppContext;
  tx: Executor;
  profile: RecipientProfile;
  template: TemplateRow;
  data: Record<string, unknown>;
  messageId: string;
  now: Date;
  /** True for `POST /templates/{id}/render`: providers must not change anything (e.g. issue no code). */
  preview: boolean;
  /** Who is sending: a scenario step, a campaign, or neither (a direct API send). */
  origin?: SendOrigin;
}

/** One top-level name in the template context (`profile`, `data`, `promo`, `loyalty`, …). Values may be promises or Drops. */
export interface ContextProvider {
  name: string;
  /** True when the value may hold promises (e.g. a code issued on access): templates reading it render asynchronously. */
  async?: boolean;
  /** True when `provide` returns plain data (no promises, Drops or functions). */
  plain?: boolean;
  provide(input: ContextInput): unknown;
  /**
   * The values for a whole batch of sends at once, as plain data, in the order of the inputs (e.g. one query
   * for every recipient). A provider with it renders synchronously, and may render on a worker thread.
   */
  provideBatch?(inputs: ContextInput[]): Promise<unknown[]>;
}

/**
 * Promo codes: `{{ promo.<pool or template name> }}` issues the profile's code through the promo module.
 * The promo module replaces this provider with `registerContextProvider({name: 'promo', …})`; until then
 * every `promo.*` renders empty.
 */
export const promoContextPlaceholder: ContextProvider = { name: 'promo', async: true, provide: () => new LazyDrop(() => '') };

/**
 * Loyalty: `{{ loyalty.balance }}`, `{{ loyalty.tier }}`, `{{ loyalty.programs.<id>.balance }}`. The loyalty
 * module replaces this provider; until then every `loyalty.*` renders empty.
 */
export const loyaltyContextPlaceholder: ContextProvider = { name: 'loyalty', plain: true, provide: () => ({}) };

const builtInProviders: ContextProvider[] = [
  {
    name: 'profile',
    plain: true,
    provide: ({ profile }) => ({
      id: profile.id,
      email: profile.email,
      phone: profile.phone,
      external_id: profile.external_id,
      fields: profile.fields ?? {},
      subscriptions: profile.subscriptions ?? {},
      created_at: new Date(profile.created_at).toISOString(),
    }),
  },
  { name: 'data', plain: true, provide: ({ data }) => data },
  promoContextPlaceholder,
  loyaltyContextPlaceholder,
];

const providers = new Map<string, ContextProvider>(builtInProviders.map((p) => [p.name, p]));

/** Adds or replaces a template context provider (promo and loyalty modules call this at start-up). */
export function registerContextProvider(p: ContextProvider): void {
  providers.set(p.name, p);
}

export function contextProviders(): Iterable<ContextProvider> {
  return providers.values();
}

type CatalogueFactory = (tx: Executor) => CatalogueReader;
let catalogueFactory: CatalogueFactory = () => emptyCatalogue;
/** The market module hands its catalogue here; until then the catalogue helpers list nothing. */
export function registerCatalogue(factory: CatalogueFactory): void {
  catalogueFactory = factory;
}

export function catalogueFor(tx: Executor): CatalogueReader {
  return catalogueFactory(tx);
}

/** The template context: the registered providers the template reads, plus `unsubscribe_url` and `message`. */
export function templateContext(input: ContextInput, unsubscribeUrl: string, reads?: Set<string>): Record<string, unknown> {
  const scope: Record<string, unknown> = {};
  for (const p of providers.values()) if (!reads || reads.has(p.name)) scope[p.name] = p.provide(input);
  scope.unsubscribe_url = unsubscribeUrl;
  scope.message = { id: input.messageId };
  return scope;
}

const CATALOGUE_HELPERS = /products_by_ids|products_in_category/;

/**
 * Templates whose `templateContext` holds promises (an async provider, the catalogue helpers) render
 * asynchronously; the rest synchronously, which is faster.
 */
export function needsAsync(t: CompiledTemplate): boolean {
  for (const p of providers.values()) if (p.async && t.globals.has(p.name)) return true;
  return usesCatalogue(t);
}

function usesCatalogue(t: CompiledTemplate): boolean {
  const src = [t.source.compiled_body, t.source.subject, t.source.preheader, t.source.title, t.source.url].join(' ');
  return CATALOGUE_HELPERS.test(src);
}

/**
 * Whether a template's whole context can be built as plain data for a batch (every provider it reads is
 * plain or batched, no catalogue helpers): such a template renders synchronously, on a worker thread too.
 */
export function rendersFromPlainData(t: CompiledTemplate): boolean {
  for (const p of providers.values()) if (t.globals.has(p.name) && !p.plain && !p.provideBatch) return false;
  return !usesCatalogue(t);
}

/**
 * Plain-data contexts for a batch of sends of templates that `rendersFromPlainData`: plain providers per
 * input, batched providers once for all inputs that read them.
 */
export async function plainContexts(inputs: { input: ContextInput; unsubscribeUrl: string; reads: Set<string> }[]): Promise<Record<string, unknown>[]> {
  const scopes = inputs.map(({ input, unsubscribeUrl }) => ({ unsubscribe_url: unsubscribeUrl, message: { id: input.messageId } }) as Record<string, unknown>);
  for (const p of providers.values()) {
    const readers = inputs.map((x, i) => (x.reads.has(p.name) ? i : -1)).filter((i) => i >= 0);
    if (!readers.length) continue;
    if (p.provideBatch) {
      const values = await p.provideBatch(readers.map((i) => inputs[i].input));
      readers.forEach((i, k) => (scopes[i][p.name] = values[k]));
    } else for (const i of readers) scopes[i][p.name] = p.provide(inputs[i].input);
  }
  return scopes;
}
