import type { AppContext } from '../../context.js';
import { promoNames } from '../../domain/campaigns/template-reads.js';
import type { CampaignRow } from '../../store/campaigns.js';
import type { Tx } from '../../store/db.js';
import { recipientProfiles, type RecipientProfile } from '../../store/messages.js';
import { getPoolByTemplateName } from '../../store/promo.js';
import { getTemplates, type TemplateRow } from '../../store/templates.js';
import { messaging, sendBatch, SendError, type SendRequest } from '../messaging.js';
import { promo, PromoNotFound, PromoRefusal } from '../promo.js';

/** One recipient of a campaign send: who, which variant, extra launch data and the key that makes it once-only. */
export interface CampaignSend {
  profile_id: string;
  variant: number;
  data?: Record<string, unknown>;
  dedupe_key?: string;
}

export interface CampaignSendOutcome {
  status: 'sent' | 'skipped';
  reason: string | null;
  message_id: string | null;
  /** Held back by the frequency cap or quiet hours: queued for later. */
  deferred: boolean;
  scheduled_at: Date | null;
  /** The dedupe key had been used: this is the earlier message. */
  duplicate: boolean;
}

const skipped = (reason: string): CampaignSendOutcome => ({ status: 'skipped', reason, message_id: null, deferred: false, scheduled_at: null, duplicate: false });

/**
 * Sends a batch of campaign recipients through the messaging pipeline in the caller's transaction, with
 * batched reads (profiles, templates, pools) and one write of all messages. Whatever keeps a recipient from
 * getting the message is its outcome, never an exception for the batch: an erased profile, a deleted
 * template, a channel that no longer fits, a promo code that cannot be issued, no subscription, a render error.
 */
export async function sendCampaignBatch(ctx: AppContext, tx: Tx, c: CampaignRow, sends: CampaignSend[], now: Date): Promise<CampaignSendOutcome[]> {
  const out: (CampaignSendOutcome | null)[] = sends.map(() => null);
  if (!sends.length) return [];
  const svc = messaging(ctx);
  const templates = new Map((await getTemplates(tx, c.variants.map((v) => v.template_id))).map((t) => [t.id, t]));
  const profiles = await recipientProfiles(tx, [...new Set(sends.map((s) => s.profile_id))]);

  // per variant: the template, whether the campaign's channel still fits it, the promo pools it reads
  const variants = await Promise.all(
    c.variants.map(async (v) => {
      const template = templates.get(v.template_id);
      if (!template) return { problem: 'the template was deleted' } as const;
      try {
        await svc.resolveChannel(tx, c.channel, template.channel);
      } catch (err) {
        if (err instanceof SendError) return { problem: `channel: ${err.message}` } as const;
        throw err;
      }
      return { template, promo: promoNames(svc.compiledTemplate(template)) } as const;
    }),
  );

  const pools = new Map<string, Awaited<ReturnType<typeof getPoolByTemplateName>>>();
  const requests: SendRequest[] = [];
  const requestOf: number[] = [];
  for (let i = 0; i < sends.length; i++) {
    const s = sends[i];
    const v = variants[s.variant];
    if (!v) {
      out[i] = skipped(`variant ${s.variant} does not exist`);
      continue;
    }
    if ('problem' in v) {
      out[i] = skipped(v.problem!);
      continue;
    }
    const profile = profiles.get(s.profile_id);
    if (!profile) {
      out[i] = skipped('the profile was erased');
      continue;
    }
    const refused = await issuePromoCodes(tx, v.promo, profile, now, pools);
    if (refused) {
      out[i] = skipped(refused);
      continue;
    }
    requests.push(request(c, v.template, profile, s));
    requestOf.push(i);
  }

  const results = requests.length ? await sendBatch(ctx, tx, requests) : [];
  results.forEach((r, k) => {
    const i = requestOf[k];
    out[i] =
      r.status === 'queued'
        ? { status: 'sent', reason: r.reason, message_id: r.message_id, deferred: r.scheduled_at.getTime() > now.getTime(), scheduled_at: r.scheduled_at, duplicate: r.duplicate }
        : { status: 'skipped', reason: r.reason ?? r.status, message_id: r.message_id, deferred: false, scheduled_at: null, duplicate: r.duplicate };
  });
  return out as CampaignSendOutcome[];
}

function request(c: CampaignRow, template: TemplateRow, profile: RecipientProfile, s: CampaignSend): SendRequest {
  return {
    profile,
    template,
    channel: c.channel,
    data: s.data ? { ...c.data, ...s.data } : c.data,
    origin: { campaign_id: c.id, dedupe_key: s.dedupe_key },
  };
}

/**
 * Issues the recipient's code of every pool the template reads, as the campaign (the pool's
 * `campaign_can_create` decides whether a code may be generated). The render then reads the code the
 * profile holds. Returns why a code could not be issued, or null.
 */
async function issuePromoCodes(
  tx: Tx,
  names: string[],
  profile: RecipientProfile,
  now: Date,
  pools: Map<string, Awaited<ReturnType<typeof getPoolByTemplateName>>>,
): Promise<string | null> {
  for (const name of names) {
    if (!pools.has(name)) pools.set(name, await getPoolByTemplateName(tx, name));
    const pool = pools.get(name);
    if (!pool) continue;
    try {
      await promo.issueCode(tx, pool.id, profile.id, now, 'campaign');
    } catch (err) {
      if (err instanceof PromoRefusal) return `no promo code could be issued from ${name} (${err.slug}): ${err.message}`;
      if (err instanceof PromoNotFound) continue;
      throw err;
    }
  }
  return null;
}
