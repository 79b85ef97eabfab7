import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { expect } from 'vitest';
import type { Harness } from '../helpers/harness.js';
import { drainMessages } from '../messaging/helpers.js';

export const api = '/api/v1';

/** Profiles through the CSV import (one request however many), ids back in row order. */
export async function importProfiles(h: Harness, rows: { email: string; city: string; first_name?: string; timezone?: string; subscribed?: boolean }[]): Promise<string[]> {
  const csv = ['email,fields.city,fields.first_name,fields.timezone,subscriptions.email']
    .concat(rows.map((r) => [r.email, r.city, r.first_name ?? '', r.timezone ?? '', r.subscribed === false ? 'unsubscribed' : 'subscribed'].join(',')))
    .join('\n');
  const r = await h.request('POST', `${api}/profiles/import?match=email`, { raw: csv, headers: { 'content-type': 'text/csv' } });
  expect(r.status, r.text).toBe(200);
  expect(r.body.failed, r.text).toBe(0);
  const byEmail = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const page = await h.get(`${api}/profiles?limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    for (const p of page.body.items) byEmail.set(p.email, p.id);
    cursor = page.body.next_cursor;
  } while (cursor);
  return rows.map((r) => byEmail.get(r.email)!);
}

export async function segment(h: Harness, name: string, conditions: unknown): Promise<string> {
  const r = await h.post(`${api}/segments`, { name, type: 'dynamic', conditions });
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

export async function staticSegment(h: Harness, name: string, profileIds: string[]): Promise<string> {
  const r = await h.post(`${api}/segments`, { name, type: 'static' });
  expect(r.status, r.text).toBe(201);
  const m = await h.post(`${api}/segments/${r.body.id}/members`, { profiles: profileIds.map((id) => ({ id })) });
  expect(m.status, m.text).toBe(200);
  return r.body.id;
}

let templates = 0;
export async function template(h: Harness, body: Record<string, unknown> = {}): Promise<string> {
  const r = await h.post(`${api}/templates`, { name: `campaign-template-${++templates}-${Date.now()}`, channel: 'email', subject: 'Hello {{ profile.fields.first_name | default: "friend" }}', body: '<p>News for {{ profile.fields.city }}</p>', ...body });
  expect(r.status, r.text).toBe(201);
  return r.body.id;
}

export async function campaign(h: Harness, body: Record<string, unknown>): Promise<any> {
  const r = await h.post(`${api}/campaigns`, { name: 'Spring sale', kind: 'broadcast', channel: 'email', ...body });
  expect(r.status, r.text).toBe(201);
  return r.body;
}

export async function act(h: Harness, id: string, action: 'start' | 'pause' | 'resume' | 'cancel', status = 200): Promise<any> {
  const r = await h.post(`${api}/campaigns/${id}/${action}`);
  expect(r.status, r.text).toBe(status);
  return r.body;
}

export async function stats(h: Harness, id: string, runId?: string): Promise<any> {
  const r = await h.get(`${api}/campaigns/${id}/stats${runId ? `?run_id=${runId}` : ''}`);
  expect(r.status, r.text).toBe(200);
  return r.body;
}

/**
 * Stops the harness's background work loop, so that the suite runs the very same tasks itself, in a known
 * order, at the virtual clock's time (`runCampaigns`). Worker processes running the loop are tested in
 * campaigns-restart.test.ts.
 */
export async function driveWorkByHand(h: Harness): Promise<void> {
  await h.ctx.work.stop();
}

/** Runs the campaign tasks and message delivery at the harness clock until they find nothing more to do. */
export async function runCampaigns(h: Harness): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    const n = (await h.ctx.work.drain('campaign-schedule')) + (await h.ctx.work.drain('campaign-delivery'));
    await drainMessages(h);
    if (n === 0) return;
  }
  throw new Error('campaign tasks kept finding work');
}

/** Every message of a campaign, oldest first. */
export async function messagesOf(h: Harness, campaignId: string): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const r = await h.get(`${api}/messages?campaign_id=${campaignId}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status, r.text).toBe(200);
    out.push(...r.body.items);
    cursor = r.body.next_cursor;
  } while (cursor);
  return out.reverse();
}

/** Every recipient row of a campaign. */
export async function recipientsOf(h: Harness, campaignId: string, query = ''): Promise<any[]> {
  const out: any[] = [];
  let cursor: string | null = null;
  do {
    const r = await h.get(`${api}/campaigns/${campaignId}/recipients?limit=1000${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(r.status, r.text).toBe(200);
    out.push(...r.body.items);
    cursor = r.body.next_cursor;
  } while (cursor);
  return out;
}

export interface Mail {
  to: string[];
  subject: string;
  html: string;
}

/** A real SMTP server on loopback that keeps what it receives. */
export async function smtpSink(): Promise<{ port: number; mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const parsed = await simpleParser(Buffer.concat(chunks));
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), subject: parsed.subject ?? '', html: typeof parsed.html === 'string' ? parsed.html : '' });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
