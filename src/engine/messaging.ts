import type { AppContext } from '../context.js';
import { httpProviderAdapter, type HttpProviderConfig } from '../channels/http-provider.js';
import { decryptSecret, secretKey } from '../channels/secrets.js';
import { smtpAdapter, type SmtpConfig } from '../channels/smtp.js';
import { telegramAdapter, type TelegramConfig } from '../channels/telegram.js';
import type { ChannelAdapter, OutgoingMessage } from '../channels/types.js';
import { durationMs, parseDuration } from '../domain/duration.js';
import { renderForSend, tracks, type RenderOutcome, type RenderTask } from '../domain/messaging/render-task.js';
import { decideSendTime, type FrequencyCap, type QuietHours } from '../domain/messaging/schedule.js';
import type { TrackingSettings, TrackSpec } from '../domain/messaging/tracking.js';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '../domain/messaging/unsubscribe.js';
import {
  compileTemplate,
  plainTextOf,
  renderTemplate,
  type CompiledTemplate,
  type Rendered,
  type TemplateChannel,
  type TemplateFormat,
} from '../domain/messaging/template.js';
import { isUuid, parseProfileRef, type ProfileRefInput } from '../domain/profiles/ref.js';
import { getChannel, getSetting, listChannels, type ChannelRow } from '../store/channels.js';
import type { Db, Executor } from '../store/db.js';
import { appendEvents, type NewEvent, type StoredEvent } from '../store/events.js';
import { newId } from '../store/ids.js';
import {
  claimDueMessages,
  getMessage,
  getMessages,
  insertMessages,
  lockProfiles,
  messagesByDedupeKeys,
  recentSends,
  recipientProfiles,
  recordOutcomes,
  queueEventPublication,
  setSubscription,
  takeEventPublications,
  type ClaimedMessage,
  type DeliveryOutcome,
  type MessageRow,
  type NewMessage,
  type RecipientProfile,
} from '../store/messages.js';
import { findProfile } from '../store/profiles.js';
import { getTemplates, type TemplateRow } from '../store/templates.js';
import {
  catalogueFor,
  needsAsync,
  plainContexts,
  rendersFromPlainData,
  templateContext,
  type ContextInput,
  type SendOrigin,
} from './message-context.js';
import { createRenderPool, POOL_CHUNK, POOL_FIRST_CHUNK, POOL_MIN_BATCH, type RenderPool } from './render-pool.js';

export {
  loyaltyContextPlaceholder,
  promoContextPlaceholder,
  registerCatalogue,
  registerContextProvider,
  type ContextInput,
  type ContextProvider,
  type SendOrigin,
} from './message-context.js';

export const MESSAGE_DELIVERY_TASK = 'message-delivery';
export const MESSAGING_SETTINGS_KEY = 'messaging';

/** `PUT /settings/messaging`. */
export interface MessagingSettings {
  frequency_cap?: FrequencyCap | null;
  quiet_hours?: QuietHours | null;
  /** Base URL of this installation as recipients reach it (unsubscribe and tracking links). */
  public_url?: string | null;
  /** Where the unsubscribe page redirects; without it a plain confirmation page is shown. */
  unsubscribe_landing_url?: string | null;
  retry?: { max_attempts?: number; backoff?: string } | null;
  /** Open pixel and tracked links in HTML emails; each on unless set to false. */
  tracking?: TrackingSettings | null;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_BACKOFF = 'PT30S';
const MAX_BACKOFF_MS = 6 * 3_600_000;
const LEASE_MS = 5 * 60_000;

export interface SendRequest {
  /** A profile id, a profile reference, or a profile row already read in this transaction. */
  profile: string | ProfileRefInput | RecipientProfile;
  /** A template id or a template row. */
  template: string | TemplateRow;
  /** A channel id, a channel type (`email`, …) or nothing (the template's channel): its default channel, else the outbox. */
  channel?: string;
  /** Launch data, `{{ data.* }}` in templates. */
  data?: Record<string, unknown>;
  origin?: SendOrigin;
  /** Require an explicit `subscribed` status (default: true, false for transactional templates). */
  require_subscription?: boolean;
}

export interface SendResult {
  message_id: string;
  status: 'queued' | 'suppressed' | 'skipped' | 'failed';
  reason: string | null;
  scheduled_at: Date;
  /** The dedupe key had been used: this is the earlier message. */
  duplicate: boolean;
}

export class SendError extends Error {
  constructor(
    readonly code: 'unknown-profile' | 'unknown-template' | 'unknown-channel' | 'channel-mismatch',
    message: string,
  ) {
    super(message);
  }
}

const ADDRESS: Record<string, (p: RecipientProfile) => string | null> = {
  email: (p) => p.email,
  sms: (p) => p.phone,
  push: (p) => (typeof p.fields?.push_token === 'string' ? p.fields.push_token : null),
  telegram: (p) => {
    const v = p.fields?.telegram_chat_id;
    return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
  },
  webhook: (p) => p.id,
};

/** Recipients' addresses per channel: email and phone from the profile, push token and Telegram chat id from its fields. */
export function addressOf(channel: string, p: RecipientProfile): string | null {
  return ADDRESS[channel]?.(p) ?? null;
}

interface ResolvedChannel {
  type: string;
  channel_id: string | null;
  provider: string;
}

/** One request of a batch on its way through `sendMany`. */
type Entry = { kind: 'earlier'; result: SendResult } | { kind: 'same'; of: number } | { kind: 'row'; row: NewMessage } | RenderEntry;
interface RenderEntry {
  kind: 'render';
  row: NewMessage;
  profile: RecipientProfile;
  template: TemplateRow;
  compiled: CompiledTemplate;
  unsubscribeUrl: string;
  track?: TrackSpec;
  input: ContextInput;
}

/** A template's version: parsed templates are cached per version, here and on the render threads. */
function templateVersion(t: TemplateRow): string {
  return `${t.id}:${new Date(t.updated_at).getTime()}`;
}

function fromRow(t: TemplateRow): CompiledTemplate {
  const c = compileTemplate({
    channel: t.channel as TemplateChannel,
    format: t.format as TemplateFormat,
    subject: t.subject,
    preheader: t.preheader,
    from: t.from_address,
    title: t.title,
    url: t.url,
    parse_mode: t.parse_mode,
    body: t.body,
    compiled_body: t.compiled_body,
  });
  if (Array.isArray(c)) throw new Error(`template ${t.id} does not parse: ${c.map((e) => `${e.field}: ${e.message}`).join('; ')}`);
  return c;
}

const CACHE_MS = 2_000;
const OUTBOX_RESPONSE = { provider: 'outbox', stored: true };
/** Publications (batches of committed events) taken per delivery round. */
const PUBLICATIONS_PER_ROUND = 50;

/** The messaging engine of one process: the send pipeline, delivery, unsubscribe. Get it with `messaging(ctx)`. */
export class Messaging {
  private settingsCache: { value: MessagingSettings; at: number } | null = null;
  private channelsCache: { rows: ChannelRow[]; at: number } | null = null;
  private compiled = new Map<string, { stamp: number; template: CompiledTemplate }>();
  private templateRows = new Map<string, { row: TemplateRow; at: number }>();
  private adapters = new Map<string, { stamp: number; adapter: ChannelAdapter }>();
  private wakePending = false;

  constructor(readonly ctx: AppContext) {}

  get db(): Db {
    return this.ctx.db;
  }

  /** Forgets cached settings, templates and channels (after a change through the API). */
  invalidate(): void {
    this.settingsCache = null;
    this.channelsCache = null;
    this.templateRows.clear();
  }

  async settings(ex: Executor = this.db): Promise<MessagingSettings> {
    const t = Date.now();
    if (this.settingsCache && t - this.settingsCache.at < CACHE_MS) return this.settingsCache.value;
    const value = (await getSetting<MessagingSettings>(ex, MESSAGING_SETTINGS_KEY)) ?? {};
    this.settingsCache = { value, at: t };
    return value;
  }

  private keyAnnounced = false;
  /** The installation key (see channels/secrets.ts); the first call says where it comes from. */
  async key(): Promise<Buffer> {
    const key = await secretKey(this.db, this.ctx.clock.now());
    if (!this.keyAnnounced) {
      this.keyAnnounced = true;
      if (!process.env.RETENTA_SECRET_KEY)
        this.ctx.log.info('RETENTA_SECRET_KEY is not set: channel secrets and unsubscribe links use a key generated once and kept in the database');
    }
    return key;
  }

  publicUrl(s: MessagingSettings): string {
    const base = s.public_url || process.env.RETENTA_PUBLIC_URL || `http://${this.ctx.config.host}:${this.ctx.config.port}`;
    return base.replace(/\/+$/, '');
  }

  unsubscribeUrl(key: Buffer, s: MessagingSettings, messageId: string): string {
    return `${this.publicUrl(s)}/u/${signUnsubscribeToken(key, messageId)}`;
  }

  compiledTemplate(row: TemplateRow): CompiledTemplate {
    const stamp = new Date(row.updated_at).getTime();
    const hit = this.compiled.get(row.id);
    if (hit && hit.stamp === stamp) return hit.template;
    const template = fromRow(row);
    this.compiled.set(row.id, { stamp, template });
    return template;
  }

  private async channels(ex: Executor): Promise<ChannelRow[]> {
    const t = Date.now();
    if (this.channelsCache && t - this.channelsCache.at < CACHE_MS) return this.channelsCache.rows;
    const rows = await listChannels(ex);
    this.channelsCache = { rows, at: t };
    return rows;
  }

  private async templates(ex: Executor, ids: string[]): Promise<Map<string, TemplateRow>> {
    const t = Date.now();
    const out = new Map<string, TemplateRow>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const hit = this.templateRows.get(id);
      if (hit && t - hit.at < CACHE_MS) out.set(id, hit.row);
      else missing.push(id);
    }
    for (const row of await getTemplates(ex, missing)) {
      this.templateRows.set(row.id, { row, at: t });
      out.set(row.id, row);
    }
    return out;
  }

  async resolveChannel(ex: Executor, requested: string | undefined, templateChannel: string): Promise<ResolvedChannel> {
    const rows = await this.channels(ex);
    if (requested && isUuid(requested)) {
      const row = rows.find((r) => r.id === requested) ?? (await getChannel(ex, requested));
      if (!row) throw new SendError('unknown-channel', `no channel ${requested}`);
      if (row.type !== templateChannel) throw new SendError('channel-mismatch', `channel ${requested} is ${row.type}, the template is for ${templateChannel}`);
      return { type: row.type, channel_id: row.provider === 'outbox' ? null : row.id, provider: row.provider };
    }
    if (requested && requested !== templateChannel && requested !== 'outbox')
      throw new SendError('channel-mismatch', `the template is for ${templateChannel}, not ${requested}`);
    if (requested === 'outbox') return { type: templateChannel, channel_id: null, provider: 'outbox' };
    const def = [...rows].reverse().find((r) => r.type === templateChannel && r.is_default) ?? [...rows].reverse().find((r) => r.type === templateChannel);
    return def && def.provider !== 'outbox' ? { type: def.type, channel_id: def.id, provider: def.provider } : { type: templateChannel, channel_id: null, provider: 'outbox' };
  }

  /** Renders a template for a profile without sending (the preview): no tracking, nothing issued. */
  async preview(ex: Executor, template: TemplateRow, profile: RecipientProfile, data: Record<string, unknown>): Promise<Rendered> {
    const [key, s] = await Promise.all([this.key(), this.settings(ex)]);
    const messageId = newId();
    const now = this.ctx.clock.now();
    const compiled = this.compiledTemplate(template);
    const input: ContextInput = { ctx: this.ctx, tx: ex, profile, template, data, messageId, now, preview: true };
    const unsubscribeUrl = this.unsubscribeUrl(key, s, messageId);
    if (rendersFromPlainData(compiled)) {
      const [scope] = await plainContexts([{ input, unsubscribeUrl, reads: compiled.globals }]);
      return renderTemplate(compiled, scope, undefined, { sync: true });
    }
    const scope = templateContext(input, unsubscribeUrl, compiled.globals);
    return renderTemplate(compiled, scope, catalogueFor(ex), { sync: !needsAsync(compiled) });
  }

  /** The one entry point: see `send` below. */
  async send(tx: Executor, req: SendRequest): Promise<SendResult> {
    return (await this.sendMany(tx, [req]))[0];
  }

  /**
   * The send pipeline for a batch, in the caller's transaction: resolve profiles, templates and channels
   * (set-based reads), check the subscription, render (on the render threads when the batch is large and the
   * template's context is plain data), decide the send time (frequency cap, quiet hours), and write the
   * message rows (the transactional outbox), a chunk at a time while later chunks still render. Delivery
   * happens after commit, in the delivery task; a message for the built-in outbox that is due now is
   * delivered by the write itself (stored as sent, its `message_sent` event in the same transaction,
   * published to subscribers by the delivery task once the transaction has committed).
   */
  async sendMany(tx: Executor, reqs: SendRequest[]): Promise<SendResult[]> {
    const now = this.ctx.clock.now();
    const [key, settings] = await Promise.all([this.key(), this.settings(tx)]);

    // Profiles
    const ids: (string | null)[] = [];
    const given = new Map<string, RecipientProfile>();
    for (const r of reqs) {
      if (typeof r.profile === 'string') ids.push(r.profile);
      else if ('fields' in r.profile && 'subscriptions' in r.profile && typeof (r.profile as RecipientProfile).id === 'string') {
        given.set((r.profile as RecipientProfile).id, r.profile as RecipientProfile);
        ids.push((r.profile as RecipientProfile).id);
      } else {
        const ref = parseProfileRef(r.profile as ProfileRefInput);
        if (typeof ref === 'string') throw new SendError('unknown-profile', ref);
        const p = await findProfile(tx, ref);
        if (!p) throw new SendError('unknown-profile', 'no such profile');
        given.set(p.id, p as RecipientProfile);
        ids.push(p.id);
      }
    }
    const toLoad = [...new Set(ids.filter((id): id is string => id !== null && !given.has(id)))];
    const loaded = await recipientProfiles(tx, toLoad);
    for (const [id, p] of given) loaded.set(id, p);

    // Templates
    const templates = await this.templates(
      tx,
      reqs.filter((r) => typeof r.template === 'string').map((r) => r.template as string),
    );
    for (const r of reqs) if (typeof r.template !== 'string') templates.set(r.template.id, r.template);

    // Dedupe keys already used
    const keys = reqs.map((r) => r.origin?.dedupe_key).filter((k): k is string => !!k);
    const earlier = new Map((await messagesByDedupeKeys(tx, keys)).map((m) => [m.dedupe_key, m]));

    // Frequency cap: serialise on the profiles and read their recent sends
    const cap = settings.frequency_cap && parseDuration(settings.frequency_cap.per) ? settings.frequency_cap : null;
    const capped = cap ? [...new Set(ids.filter((id): id is string => !!id && loaded.has(id)))].sort() : [];
    let recent = new Map<string, Date[]>();
    if (cap && capped.length) {
      await lockProfiles(tx, capped);
      recent = await recentSends(tx, capped, new Date(now.getTime() - durationMs(cap.per)));
    }

    // Each request becomes an earlier message (dedupe), a refused row, or a row to render.
    const entries: Entry[] = [];
    const seenKeys = new Map<string, number>();
    const tracking = this.trackingOf(settings);
    for (let i = 0; i < reqs.length; i++) {
      const req = reqs[i];
      const profile = loaded.get(ids[i] ?? '');
      if (!profile) throw new SendError('unknown-profile', `no profile ${ids[i]}`);
      const templateId = typeof req.template === 'string' ? req.template : req.template.id;
      const template = templates.get(templateId);
      if (!template) throw new SendError('unknown-template', `no template ${templateId}`);
      const dedupeKey = req.origin?.dedupe_key;
      const prior = dedupeKey ? earlier.get(dedupeKey) : undefined;
      if (prior) {
        entries.push({ kind: 'earlier', result: { message_id: prior.id, status: prior.status === 'sent' ? 'queued' : (prior.status as SendResult['status']), reason: prior.reason, scheduled_at: new Date(prior.scheduled_at), duplicate: true } });
        continue;
      }
      if (dedupeKey && seenKeys.has(dedupeKey)) {
        entries.push({ kind: 'same', of: seenKeys.get(dedupeKey)! });
        continue;
      }
      if (dedupeKey) seenKeys.set(dedupeKey, entries.length);
      const channel = await this.resolveChannel(tx, req.channel, template.channel);
      const messageId = newId();
      const origin = req.origin ?? {};
      const base: NewMessage = {
        id: messageId,
        profile_id: profile.id,
        template_id: template.id,
        channel: channel.type,
        channel_id: channel.channel_id,
        provider: channel.provider,
        to_address: addressOf(channel.type, profile),
        subject: null,
        body: null,
        text_body: null,
        extra: {},
        transactional: template.transactional,
        status: 'queued',
        reason: null,
        deferred_reason: null,
        due_at: null,
        scheduled_at: now,
        dedupe_key: dedupeKey ?? `message:${messageId}`,
        scenario_id: origin.scenario_id ?? null,
        scenario_version: origin.scenario_version ?? null,
        node_id: origin.node_id ?? null,
        instance_id: origin.instance_id ?? null,
        campaign_id: origin.campaign_id ?? null,
        created_at: now,
        attempts: 0,
        provider_response: null,
        sent_at: null,
      };
      const refusal = this.refusal(channel.type, profile, template, req, base.to_address);
      if (refusal) {
        entries.push({ kind: 'row', row: { ...base, status: refusal.status, reason: refusal.reason } });
        continue;
      }
      const compiled = this.compiledTemplate(template);
      const unsubscribeUrl = this.unsubscribeUrl(key, settings, messageId);
      const track: TrackSpec | undefined =
        tracks(compiled) && (tracking.opens || tracking.clicks)
          ? { base: this.publicUrl(settings), messageId, opens: tracking.opens, clicks: tracking.clicks, untracked: [`${this.publicUrl(settings)}/u/`] }
          : undefined;
      entries.push({
        kind: 'render',
        row: base,
        profile,
        template,
        compiled,
        unsubscribeUrl,
        track,
        input: { ctx: this.ctx, tx, profile, template, data: req.data ?? {}, messageId, now, preview: false, origin },
      });
    }

    // Render in chunks; write each chunk (in order) as soon as it is rendered while later chunks render.
    const toRender = entries.filter((e): e is RenderEntry => e.kind === 'render');
    const plain = toRender.filter((e) => rendersFromPlainData(e.compiled));
    const scopes = new Map<RenderEntry, Record<string, unknown>>();
    if (plain.length) {
      const made = await plainContexts(plain.map((e) => ({ input: e.input, unsubscribeUrl: e.unsubscribeUrl, reads: e.compiled.globals })));
      plain.forEach((e, k) => scopes.set(e, made[k]));
    }
    const pool = plain.length >= POOL_MIN_BATCH ? await this.renderPool() : null;
    const chunks: Entry[][] = [];
    let current: Entry[] = [];
    let renders = 0;
    for (const e of entries) {
      current.push(e);
      // a small first chunk: its rows are written while the threads render the rest
      if (e.kind === 'render' && ++renders === (chunks.length ? POOL_CHUNK : POOL_FIRST_CHUNK)) {
        chunks.push(current);
        current = [];
        renders = 0;
      }
    }
    if (current.length) chunks.push(current);
    // Hand every poolable chunk to the threads at once; the rest render here when their turn comes.
    const pooled = chunks.map((chunk) => {
      const jobs = chunk.filter((e): e is RenderEntry => e.kind === 'render');
      if (!pool || !jobs.length || !jobs.every((e) => scopes.has(e))) return null;
      const task: RenderTask = { templates: {}, jobs: [], key };
      for (const e of jobs) {
        const version = templateVersion(e.template);
        task.templates[version] ??= e.compiled.source;
        task.jobs.push({ template: version, scope: scopes.get(e)!, track: e.track });
      }
      return pool.run(task);
    });
    // A failed task must not go unobserved while earlier chunks are still being written.
    for (const p of pooled) p?.catch(() => undefined);

    const lost: NewMessage[] = [];
    const stored: NewMessage[] = [];
    for (let c = 0; c < chunks.length; c++) {
      const jobs = chunks[c].filter((e): e is RenderEntry => e.kind === 'render');
      const outcomes: RenderOutcome[] = pooled[c] ? await pooled[c]! : await this.renderHere(jobs, scopes, key, tx);
      jobs.forEach((e, k) => {
        const o = outcomes[k];
        if (!o.ok) {
          e.row = { ...e.row, status: 'failed', reason: `render error: ${o.error}` };
          return;
        }
        const r = o.rendered;
        const when = decideSendTime({
          now,
          recent: recent.get(e.profile.id) ?? [],
          transactional: e.template.transactional,
          profileTimezone: e.profile.fields?.timezone as string | undefined,
          frequencyCap: cap,
          quietHours: settings.quiet_hours ?? null,
        });
        const extra: Record<string, unknown> = { unsubscribe_url: e.unsubscribeUrl, format: e.template.format };
        for (const f of ['from', 'preheader', 'title', 'url', 'parse_mode', 'sms'] as const) if (r[f] !== undefined && r[f] !== null) extra[f] = r[f];
        if (e.track) extra.tracking = { opens: e.track.opens, clicks: e.track.clicks };
        if (!e.template.transactional) {
          const list = recent.get(e.profile.id) ?? [];
          list.push(when.at);
          recent.set(e.profile.id, list);
        }
        // The outbox is a store: a message for it that is due now is delivered by this very write.
        const stored = e.row.channel_id === null && !when.deferred && when.at.getTime() <= now.getTime();
        e.row = {
          ...e.row,
          subject: r.subject,
          body: r.body,
          // The text part of HTML is derived again when needed (delivery, listing): not stored twice.
          text_body: r.textDerived || r.text === r.body ? null : r.text,
          extra,
          due_at: stored ? null : when.at,
          scheduled_at: when.at,
          deferred_reason: when.reason,
          reason: when.deferred ? `deferred until ${when.at.toISOString()}: ${when.reason}` : null,
          ...(stored ? { status: 'sent', sent_at: now, attempts: 1, provider_response: OUTBOX_RESPONSE } : {}),
        };
      });
      const rows = chunks[c].flatMap((e) => (e.kind === 'row' || e.kind === 'render' ? [e.row] : []));
      const inserted = await insertMessages(tx, rows);
      if (inserted.size !== rows.length) lost.push(...rows.filter((r) => !inserted.has(r.id)));
      for (const r of rows) if (r.status === 'sent' && inserted.has(r.id)) stored.push(r);
    }
    // Messages stored in the outbox: their message_sent events in this same transaction, published after commit.
    if (stored.length) {
      const events = await this.appendMessageEvents(tx, stored.map((r) => messageEvent({ ...r, live: true }, 'message_sent')));
      const publication = newId();
      await queueEventPublication(tx, publication, events.map((ev) => ev.id), now);
      this.remember(publication, events);
    }

    const resultOf = (e: Entry): SendResult => {
      if (e.kind === 'earlier') return e.result;
      if (e.kind === 'same') return { ...resultOf(entries[e.of]), duplicate: true };
      // `queued`: accepted for delivery (an outbox message is delivered already: its row says `sent`).
      return { message_id: e.row.id, status: e.row.status === 'sent' ? 'queued' : (e.row.status as SendResult['status']), reason: e.row.reason, scheduled_at: e.row.scheduled_at, duplicate: false };
    };
    const results = entries.map(resultOf);
    if (lost.length) {
      // A concurrent send took a dedupe key between our check and our insert: answer with that message.
      const winners = new Map((await messagesByDedupeKeys(tx, lost.map((r) => r.dedupe_key))).map((m) => [m.dedupe_key, m]));
      const lostById = new Map(lost.map((r) => [r.id, r]));
      for (const res of results) {
        const row = lostById.get(res.message_id);
        const w = row && winners.get(row.dedupe_key);
        if (w) Object.assign(res, { message_id: w.id, status: w.status === 'sent' ? 'queued' : w.status, reason: w.reason, scheduled_at: new Date(w.scheduled_at), duplicate: true });
      }
    }
    if (stored.length || entries.some((e) => (e.kind === 'row' || e.kind === 'render') && e.row.status === 'queued')) this.wakeSoon();
    return results;
  }

  /** Renders jobs on this thread: plain-data ones synchronously, the others with their (async) providers. */
  private async renderHere(jobs: RenderEntry[], scopes: Map<RenderEntry, Record<string, unknown>>, key: Buffer, tx: Executor): Promise<RenderOutcome[]> {
    const out: RenderOutcome[] = [];
    for (const e of jobs) {
      try {
        const plainScope = scopes.get(e);
        const scope = plainScope ?? templateContext(e.input, e.unsubscribeUrl, e.compiled.globals);
        const sync = plainScope !== undefined || !needsAsync(e.compiled);
        out.push({ ok: true, rendered: await renderForSend(e.compiled, scope, { sync, key, track: e.track, catalogue: catalogueFor(tx) }) });
      } catch (err) {
        out.push({ ok: false, error: (err as Error).message });
      }
    }
    return out;
  }

  private trackingOf(s: MessagingSettings): { opens: boolean; clicks: boolean } {
    return { opens: s.tracking?.opens !== false, clicks: s.tracking?.clicks !== false };
  }

  private pool: RenderPool | null | undefined;
  /** The render threads of this process (created on first use), or null to render here. */
  private async renderPool(): Promise<RenderPool | null> {
    if (this.pool === undefined) this.pool = createRenderPool();
    const pool = this.pool;
    if (pool && !(await pool.usable())) {
      this.ctx.log.error('render threads do not start: messages render on the main thread');
      if (this.pool === pool) this.pool = null;
      void pool.close().catch(() => undefined);
      return null;
    }
    return pool;
  }

  /** Uses these render threads instead of the default ones (or none). */
  useRenderPool(pool: RenderPool | null): void {
    void this.pool?.close();
    this.pool = pool;
  }

  private refusal(
    channel: string,
    profile: RecipientProfile,
    template: TemplateRow,
    req: SendRequest,
    address: string | null,
  ): { status: 'skipped' | 'suppressed'; reason: string } | null {
    if (!address) return { status: 'skipped', reason: `no ${channel} address on the profile` };
    if (channel === 'webhook') return null;
    const status = profile.subscriptions?.[channel];
    if (status === 'suppressed') return { status: 'suppressed', reason: `${channel} is suppressed for this profile` };
    const require = req.require_subscription ?? !template.transactional;
    if (!template.transactional && status === 'unsubscribed') return { status: 'skipped', reason: `unsubscribed from ${channel}` };
    if (require && status !== 'subscribed') return { status: 'skipped', reason: `not subscribed to ${channel} (${status ?? 'no status'})` };
    return null;
  }

  /** Wakes the delivery task shortly (after the caller's transaction has most likely committed). */
  wakeSoon(): void {
    if (this.wakePending) return;
    this.wakePending = true;
    const t = setTimeout(() => {
      this.wakePending = false;
      this.ctx.work.announce(MESSAGE_DELIVERY_TASK).catch(() => undefined);
    }, 5);
    t.unref?.();
  }

  private async adapterFor(channelId: string): Promise<ChannelAdapter | null> {
    const row = (await this.channels(this.db)).find((r) => r.id === channelId) ?? (await getChannel(this.db, channelId));
    if (!row) return null;
    const stamp = new Date(row.updated_at).getTime();
    const hit = this.adapters.get(row.id);
    if (hit && hit.stamp === stamp) return hit.adapter;
    if (hit) await hit.adapter.close().catch(() => undefined);
    let secrets: Record<string, unknown> = {};
    try {
      secrets = row.secrets ? decryptSecret<Record<string, unknown>>(await this.key(), row.secrets) : {};
    } catch {
      this.ctx.log.error({ channel: row.id }, 'channel secrets do not decrypt with the current key (was RETENTA_SECRET_KEY changed?)');
      return null;
    }
    const config = { ...row.config, ...secrets };
    let adapter: ChannelAdapter;
    switch (row.provider) {
      case 'smtp':
        adapter = smtpAdapter(config as unknown as SmtpConfig);
        break;
      case 'http':
        adapter = httpProviderAdapter(config as unknown as HttpProviderConfig);
        break;
      case 'telegram_bot':
        adapter = telegramAdapter(config as unknown as TelegramConfig);
        break;
      default:
        return null;
    }
    this.adapters.set(row.id, { stamp, adapter });
    return adapter;
  }

  private backoffMs(s: MessagingSettings, attempts: number): number {
    const base = durationMs(s.retry?.backoff && parseDuration(s.retry.backoff) ? s.retry.backoff : DEFAULT_BACKOFF);
    return Math.min(MAX_BACKOFF_MS, base * 4 ** Math.max(0, attempts - 1));
  }

  /**
   * One round of delivery: claims due messages under a lease; outbox messages are stored as sent by the claim
   * itself, with their `message_sent` events in the same transaction. The rest go to their channel (the
   * message id is the dedupe key providers get); each outcome (`sent`, a retry with back-off, or `failed`)
   * is written together with its `message_sent` / `message_failed` event, in one transaction per round.
   */
  async deliverDue(limit: number, now: Date): Promise<number> {
    const s = await this.settings();
    const maxAttempts = s.retry?.max_attempts ?? DEFAULT_MAX_ATTEMPTS;
    const published = await this.publishCommitted();
    const { claimed, stored } = await this.db.transaction().execute(async (tx) => {
      const claimed = await claimDueMessages(tx, now, limit, new Date(now.getTime() + LEASE_MS));
      const sent = claimed.filter((m) => m.status === 'sent' && m.live);
      return { claimed, stored: await this.appendMessageEvents(tx, sent.map((m) => messageEvent(m, 'message_sent'))) };
    });
    this.publish(stored);
    if (!claimed.length) return published;
    const external = await getMessages(this.db, claimed.filter((m) => m.status !== 'sent').map((m) => m.id));
    if (!external.length) return claimed.length;
    const outcomes: DeliveryOutcome[] = [];
    await mapLimit(external, 16, async (m) => {
      const adapter = await this.adapterFor(m.channel_id!).catch(() => null);
      if (!adapter) {
        outcomes.push({ id: m.id, status: 'failed', reason: 'the channel no longer exists or cannot be used', response: null });
        return;
      }
      const r = await adapter.deliver(toOutgoing(m));
      if (r.ok) outcomes.push({ id: m.id, status: 'sent', reason: null, response: r.response });
      else if (r.retry && m.attempts < maxAttempts)
        outcomes.push({ id: m.id, status: 'queued', reason: `attempt ${m.attempts} failed: ${r.reason}`, response: r.response, retryAt: new Date(this.ctx.clock.now().getTime() + this.backoffMs(s, m.attempts)) });
      else outcomes.push({ id: m.id, status: 'failed', reason: `${r.reason} (after ${m.attempts} attempt${m.attempts === 1 ? '' : 's'})`, response: r.response });
    });
    const byId = new Map(claimed.map((m) => [m.id, m]));
    const recorded = await this.db.transaction().execute(async (tx) => {
      const changed = new Set(await recordOutcomes(tx, outcomes, this.ctx.clock.now()));
      const events = outcomes
        .filter((o) => changed.has(o.id) && o.status !== 'queued' && byId.get(o.id)?.live)
        .map((o) => messageEvent(byId.get(o.id)!, o.status === 'sent' ? 'message_sent' : 'message_failed', o.reason));
      return this.appendMessageEvents(tx, events);
    });
    this.publish(recorded);
    return claimed.length;
  }

  /**
   * Publishes on the bus the events that senders wrote in their transactions (outbox messages), once those
   * have committed: at least once (the publication goes only when the publishing transaction commits).
   */
  private async publishCommitted(): Promise<number> {
    let events: StoredEvent[] = [];
    await this.db.transaction().execute(async (tx) => {
      events = await takeEventPublications(tx, PUBLICATIONS_PER_ROUND, (id) => {
        const mine = this.written.get(id);
        this.written.delete(id);
        return mine?.events;
      });
      this.publish(events);
    });
    return events.length;
  }

  /** Events of the publications this process wrote, kept a minute so that publishing need not read them back. */
  private written = new Map<string, { events: StoredEvent[]; at: number }>();
  private remember(publication: string, events: StoredEvent[]): void {
    const t = Date.now();
    for (const [id, w] of this.written) {
      if (t - w.at < 60_000) break;
      this.written.delete(id); // its transaction rolled back, or another worker published it
    }
    this.written.set(publication, { events, at: t });
  }

  /** Appends events of messages in the caller's transaction (publish them with `publish` after commit). */
  async appendMessageEvents(tx: Executor, events: Omit<NewEvent, 'occurred_at'>[]): Promise<StoredEvent[]> {
    if (!events.length) return [];
    const now = this.ctx.clock.now();
    return (await appendEvents(tx, events.map((e) => ({ ...e, occurred_at: now })), now)).stored;
  }

  /** Tells this process's subscribers (segments, scenarios, hooks) about events that have committed. */
  publish(events: StoredEvent[]): void {
    if (events.length) this.ctx.bus.publish('events', events);
  }

  /** The public unsubscribe link: unsubscribes the message's channel, emits `unsubscribed` once. */
  async unsubscribe(token: string): Promise<{ channel: string; profile_id: string } | null> {
    const messageId = verifyUnsubscribeToken(await this.key(), token);
    if (!messageId) return null;
    const m = await getMessage(this.db, messageId);
    if (!m) return null;
    const now = this.ctx.clock.now();
    const done = await this.db.transaction().execute(async (tx) => {
      const before = await setSubscription(tx, m.profile_id, m.channel, 'unsubscribed', now);
      if (before === undefined) return null;
      const stored = await this.appendMessageEvents(tx, [
        {
          profile_id: m.profile_id,
          name: 'unsubscribed',
          event_id: `unsubscribed:${m.id}`,
          properties: {
            channel: m.channel,
            message_id: m.id,
            template_id: m.template_id,
            source: 'unsubscribe_link',
            previous_status: before,
            ...(m.scenario_id ? { scenario_id: m.scenario_id, node_id: m.node_id } : {}),
            ...(m.campaign_id ? { campaign_id: m.campaign_id } : {}),
          },
        },
      ]);
      return { stored };
    });
    if (!done) return null;
    this.publish(done.stored);
    return { channel: m.channel, profile_id: m.profile_id };
  }

  /**
   * A subscription change made through the API: stored, and when it unsubscribes, an `unsubscribed`
   * event on the timeline (in the same transaction) exactly as the unsubscribe page records it.
   */
  async changeSubscription(profileId: string, channel: string, status: string, source: string): Promise<{ previous: string | null } | null> {
    const now = this.ctx.clock.now();
    const done = await this.db.transaction().execute(async (tx) => {
      const before = await setSubscription(tx, profileId, channel, status, now);
      if (before === undefined) return null;
      const stored =
        status === 'unsubscribed' && before !== 'unsubscribed'
          ? await this.appendMessageEvents(tx, [{ profile_id: profileId, name: 'unsubscribed', event_id: null, properties: { channel, source, previous_status: before } }])
          : [];
      return { before, stored };
    });
    if (!done) return null;
    this.publish(done.stored);
    return { previous: done.before };
  }

  async close(): Promise<void> {
    const all = [...this.adapters.values()];
    this.adapters.clear();
    const pool = this.pool;
    this.pool = undefined;
    await Promise.all([...all.map((a) => a.adapter.close().catch(() => undefined)), pool?.close()]);
  }
}

/** The event a delivery outcome records on the profile timeline: `message_sent` or `message_failed`. */
function messageEvent(m: Omit<ClaimedMessage, 'attempts' | 'status'>, name: string, reason?: string | null): Omit<NewEvent, 'occurred_at'> {
  return {
    profile_id: m.profile_id,
    name,
    event_id: `${name}:${m.id}`,
    properties: {
      message_id: m.id,
      channel: m.channel,
      provider: m.provider,
      template_id: m.template_id,
      ...(m.scenario_id ? { scenario_id: m.scenario_id, scenario_version: m.scenario_version, node_id: m.node_id, instance_id: m.instance_id } : {}),
      ...(m.campaign_id ? { campaign_id: m.campaign_id } : {}),
      ...(reason ? { reason } : {}),
    },
  };
}

/** The plain-text part of a stored message: stored for text channels, derived from the HTML for email. */
export function messageText(m: Pick<MessageRow, 'channel' | 'body' | 'text_body' | 'extra'>): string {
  if (m.text_body !== null && m.text_body !== undefined) return m.text_body;
  const body = m.body ?? '';
  if (m.extra?.format === 'text' && m.channel !== 'telegram') return body;
  if (m.channel === 'email' || (m.channel === 'telegram' && m.extra?.parse_mode === 'HTML')) return /<[a-z!/]/i.test(body) ? plainTextOf(body) : body;
  return body;
}

function toOutgoing(m: MessageRow): OutgoingMessage {
  return {
    id: m.id,
    channel: m.channel,
    to: m.to_address ?? '',
    subject: m.subject,
    body: m.body ?? '',
    text: messageText(m),
    extra: m.extra ?? {},
    unsubscribeUrl: m.transactional ? null : ((m.extra?.unsubscribe_url as string | undefined) ?? null),
  };
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  });
  await Promise.all(workers);
}

const services = new WeakMap<AppContext, Messaging>();

/** The messaging engine of this process. */
export function messaging(ctx: AppContext): Messaging {
  let m = services.get(ctx);
  if (!m) {
    m = new Messaging(ctx);
    services.set(ctx, m);
  }
  return m;
}

/**
 * The one entry point other modules call inside their transaction, e.g. a scenario's send step:
 * `await send(ctx, tx, {profile, template, channel, data, origin: {scenario_id, scenario_version, node_id, instance_id, dedupe_key}})`.
 */
export function send(ctx: AppContext, tx: Executor, req: SendRequest): Promise<SendResult> {
  return messaging(ctx).send(tx, req);
}

/**
 * Many sends in the caller's transaction, with the same rules per message as `send` (results in the order
 * of the requests): set-based reads of profiles, templates, dedupe keys and recent sends, rendering on the
 * render threads, the message rows written a chunk at a time. For broadcasts (campaigns).
 */
export function sendBatch(ctx: AppContext, tx: Executor, reqs: SendRequest[]): Promise<SendResult[]> {
  return messaging(ctx).sendMany(tx, reqs);
}

export type { RecipientProfile };
