import { MESSAGE_DELIVERY_TASK, sendBatch, type SendRequest } from '../engine/messaging.js';
import { renderThreads } from '../engine/render-pool.js';
import { countMessages, pendingEventPublications } from '../store/messages.js';
import { upsertProfile } from '../store/profiles.js';
import { benchApp, BENCH_TOKEN, type Bench } from './harness.js';

const PROFILES = 5_000;
const MESSAGES = 30_000;
const BATCH = 500;

/** A cart-reminder email of realistic size: conditionals, a loop over the cart, filters, a footer with the unsubscribe link. */
export const BENCH_TEMPLATE = `<!doctype html>
<html><head><meta charset="utf-8"><title>{{ data.shop | default: "Our shop" }}</title>
<style>body{font-family:Arial,sans-serif;color:#333}table{border-collapse:collapse;width:100%}td{padding:8px;border-bottom:1px solid #eee}.total{font-weight:bold}</style></head>
<body>
<table role="presentation"><tr><td>
<h1>{% if profile.fields.first_name %}Hi {{ profile.fields.first_name | capitalize }},{% else %}Hello there,{% endif %}</h1>
<p>You left {{ data.cart.items | size }} item{% if data.cart.items.size != 1 %}s{% endif %} in your cart at {{ data.shop | default: "our shop" }}. They are waiting for you{% if profile.fields.city %} in {{ profile.fields.city }}{% endif %}.</p>
<table>
{% for item in data.cart.items %}<tr>
  <td><img src="{{ item.image | default: 'https://cdn.example.com/placeholder.png' }}" width="64" alt="{{ item.name | escape }}"></td>
  <td><a href="https://shop.example.com/p/{{ item.sku | url_encode }}?utm_source=email&amp;utm_campaign=cart">{{ item.name | escape | truncate: 40 }}</a></td>
  <td>{{ item.qty }} × {{ item.price | times: 1.0 | round: 2 }} {{ data.currency | default: "EUR" }}</td>
</tr>{% endfor %}
<tr class="total"><td></td><td>Total</td><td>{{ data.cart.total | round: 2 }} {{ data.currency | default: "EUR" }}</td></tr>
</table>
{% if data.cart.total > 100 %}<p>Free delivery is included with your order.</p>{% else %}<p>Add {{ 100 | minus: data.cart.total | round: 2 }} more for free delivery.</p>{% endif %}
<p><a href="https://shop.example.com/cart/{{ data.cart.id }}" style="background:#e63;color:#fff;padding:12px 20px;text-decoration:none">Back to my cart</a></p>
<p>Your points: {{ loyalty.balance | default: 0 }}. {% assign since = profile.created_at | date: "%d.%m.%Y" %}Member since {{ since }}.</p>
<hr><p style="font-size:11px;color:#999">You receive this email because you subscribed at {{ data.shop | default: "our shop" }}.
<a href="{{ unsubscribe_url }}">Unsubscribe</a> · {{ "now" | date: "%Y" }} Example Shop GmbH, Main street 1, Berlin</p>
</td></tr></table>
</body></html>`;

/**
 * Messages rendered (Liquid, open and click tracking) and delivered to the outbox per second: `sendBatch`
 * in transactions of 500 (as a campaign broadcast does), then the delivery task until every message is sent
 * and its message_sent event published. Also per second of CPU time over every thread (render threads:
 * `RETENTA_RENDER_THREADS`), which a busy machine changes less.
 */
export const sendBench: Bench = async (b) => {
  const { app, close } = await benchApp(b.db);
  try {
    const ctx = app.ctx;
    const now = ctx.clock.now();
    const ids: string[] = [];
    await ctx.db.transaction().execute(async (tx) => {
      for (let i = 0; i < PROFILES; i++) {
        const { profile } = await upsertProfile(
          tx,
          { email: `bench-${i}@example.com`, email_norm: `bench-${i}@example.com`, fields: { first_name: i % 5 ? `name${i}` : undefined, city: i % 3 ? 'Berlin' : undefined }, subscriptions: { email: 'subscribed' } },
          now,
        );
        ids.push(profile.id);
      }
    });
    const res = await app.server!.inject({
      method: 'POST',
      url: '/api/v1/templates',
      headers: { authorization: `Bearer ${BENCH_TOKEN}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'cart-reminder', channel: 'email', subject: '{{ profile.fields.first_name | default: "Hi" }}, your cart is waiting', body: BENCH_TEMPLATE }),
    });
    if (res.statusCode !== 201) throw new Error(`template: ${res.body}`);
    const template = JSON.parse(res.body).id as string;
    const request = (n: number): SendRequest => ({
      profile: ids[n % PROFILES],
      template,
      data: {
        shop: 'Example Shop',
        currency: 'EUR',
        cart: {
          id: `c-${n}`,
          total: 20 + (n % 150),
          items: Array.from({ length: 1 + (n % 4) }, (_, k) => ({ sku: `SKU-${k}-${n % 97}`, name: `Product ${k} with a longer name than usual`, qty: 1 + (k % 2), price: 9.99 + k })),
        },
      },
      origin: { campaign_id: 'bench' },
    });
    // warm-up
    await ctx.db.transaction().execute((tx) => sendBatch(ctx, tx, Array.from({ length: BATCH }, (_, n) => request(n))));
    await ctx.work.drain(MESSAGE_DELIVERY_TASK);
    const warm = await countMessages(ctx.db);

    const cpu = () => {
      const u = process.cpuUsage(); // every thread of the process: the render threads too
      return (u.user + u.system) / 1000;
    };
    const t0 = performance.now();
    const c0 = cpu();
    for (let start = 0; start < MESSAGES; start += BATCH) {
      await ctx.db.transaction().execute((tx) => sendBatch(ctx, tx, Array.from({ length: BATCH }, (_, k) => request(start + k))));
    }
    const t1 = performance.now();
    const c1 = cpu();
    // the outbox is delivered by the write; what is left is publishing the committed message_sent events
    while ((await countMessages(ctx.db, 'queued')) > 0 || (await pendingEventPublications(ctx.db)) > 0) {
      await ctx.work.drain(MESSAGE_DELIVERY_TASK);
      await new Promise((r) => setTimeout(r, 5));
    }
    const t2 = performance.now();
    const c2 = cpu();
    const sent = (await countMessages(ctx.db, 'sent')) - warm;
    if (sent !== MESSAGES) throw new Error(`send: ${sent} of ${MESSAGES} messages sent`);
    b.report('messages_per_second', (MESSAGES * 1000) / (t2 - t0), 'msg/s');
    b.report('render_and_write_per_second', (MESSAGES * 1000) / (t1 - t0), 'msg/s');
    // Per second of CPU time (all threads): what one core does, less sensitive to a busy machine.
    b.report('messages_per_cpu_second', (MESSAGES * 1000) / (c2 - c0), 'msg/s');
    b.report('render_and_write_per_cpu_second', (MESSAGES * 1000) / (c1 - c0), 'msg/s');
    b.report('render_threads', renderThreads(), 'threads');
  } finally {
    await close();
  }
};
