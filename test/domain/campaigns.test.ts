import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assign,
  assignmentPlan,
  GLOBAL_CONTROL_SEED,
  HASH_SPACE,
  hashWords,
  inGlobalControlGroup,
  shareBound,
  variantBounds,
  variantOf,
} from '../../src/domain/campaigns/assignment.js';
import { actionRefusal, activeStatus, definitionErrors, type CampaignDefinition } from '../../src/domain/campaigns/campaign.js';
import { broadcastStartsAt, cronProblem, localSendMoments, nextCronRun } from '../../src/domain/campaigns/schedule.js';
import { promoNames } from '../../src/domain/campaigns/template-reads.js';
import { metricEvent, pickWinner } from '../../src/domain/campaigns/winner.js';
import { compileTemplate, type CompiledTemplate } from '../../src/domain/messaging/template.js';

const uuid = fc.uuid({ version: 7 });
const uuids = (n: number) => Array.from({ length: n }, (_, i) => `0190${createHash('md5').update(String(i)).digest('hex').slice(4, 8)}-0000-7000-8000-${String(i).padStart(12, '0')}`);

describe('campaign assignment by stable hash', () => {
  it('reads md5(seed || id) as four big-endian 32-bit words', () => {
    const id = '0190a6b2-7c3e-7def-8abc-0123456789ab';
    const hex = createHash('md5').update(`seed:${id}`).digest('hex');
    expect(hashWords('seed:', id)).toEqual([0, 1, 2, 3].map((k) => parseInt(hex.slice(k * 8, k * 8 + 8), 16)));
    expect(hashWords('seed:', id.toUpperCase())).toEqual(hashWords('seed:', id));
  });

  it('is deterministic per profile and campaign, and differs between campaigns', () => {
    fc.assert(
      fc.property(uuid, uuid, fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }), (campaignId, profileId, weights) => {
        const plan = assignmentPlan({ campaignId, weights, controlPercent: 10, globalControlPercent: 5, testPercent: 30 });
        expect(assign(plan, profileId)).toEqual(assign(assignmentPlan({ campaignId, weights, controlPercent: 10, globalControlPercent: 5, testPercent: 30 }), profileId));
      }),
    );
    const ids = uuids(2000);
    const a = assignmentPlan({ campaignId: 'a', weights: [1], controlPercent: 20, globalControlPercent: 0, testPercent: null });
    const b = assignmentPlan({ campaignId: 'b', weights: [1], controlPercent: 20, globalControlPercent: 0, testPercent: null });
    const controlA = new Set(ids.filter((id) => assign(a, id).group === 'control'));
    const controlB = ids.filter((id) => assign(b, id).group === 'control');
    // two campaigns' control groups overlap about as much as independent 20% draws do (4%), not entirely
    const both = controlB.filter((id) => controlA.has(id)).length;
    expect(both).toBeGreaterThan(20);
    expect(both).toBeLessThan(160);
  });

  it('splits variants in proportion to their weights', () => {
    const ids = uuids(20_000);
    const plan = assignmentPlan({ campaignId: 'split', weights: [1, 2, 7], controlPercent: 0, globalControlPercent: 0, testPercent: null });
    const counts = [0, 0, 0];
    for (const id of ids) counts[assign(plan, id).variant!]++;
    expect(counts[0] / ids.length).toBeCloseTo(0.1, 1);
    expect(counts[1] / ids.length).toBeCloseTo(0.2, 1);
    expect(counts[2] / ids.length).toBeCloseTo(0.7, 1);
  });

  it('variant bounds cover the whole hash space in order; every word has exactly one variant', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 10 }), fc.integer({ min: 0, max: HASH_SPACE - 1 }), (weights, word) => {
        const b = variantBounds(weights);
        expect(b[b.length - 1]).toBe(HASH_SPACE);
        for (let i = 1; i < b.length; i++) expect(b[i]).toBeGreaterThanOrEqual(b[i - 1]);
        const v = variantOf(word, b);
        expect(word < b[v] && (v === 0 || word >= b[v - 1])).toBe(true);
      }),
    );
    expect(() => variantBounds([0])).toThrow();
  });

  it('a control share only grows by adding profiles: the global group at 10% holds everyone of the group at 5%', () => {
    fc.assert(
      fc.property(uuid, fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 }), (id, p1, p2) => {
        const [lo, hi] = [Math.min(p1, p2) / 100, Math.max(p1, p2) / 100];
        if (inGlobalControlGroup(id, lo)) expect(inGlobalControlGroup(id, hi)).toBe(true);
      }),
    );
    expect(shareBound(0)).toBe(0);
    expect(shareBound(100)).toBe(HASH_SPACE);
    expect(shareBound(150)).toBe(HASH_SPACE);
    const ids = uuids(10_000);
    const share = ids.filter((id) => inGlobalControlGroup(id, 10)).length / ids.length;
    expect(share).toBeCloseTo(0.1, 1);
  });

  it('groups in order: global control, then the campaign control, then test or rest; the rest has no variant yet', () => {
    fc.assert(
      fc.property(uuid, uuid, (campaignId, id) => {
        const plan = assignmentPlan({ campaignId, weights: [1, 1], controlPercent: 25, globalControlPercent: 10, testPercent: 40 });
        const a = assign(plan, id);
        const globalWord = hashWords(GLOBAL_CONTROL_SEED, id)[0];
        const [control, variant, test] = hashWords(plan.seed, id);
        if (globalWord < plan.globalControlBound) expect(a).toEqual({ group: 'global_control', variant: null });
        else if (control < plan.controlBound) expect(a).toEqual({ group: 'control', variant: null });
        else if (test < plan.testBound!) expect(a).toEqual({ group: 'test', variant: variantOf(variant, plan.variantBounds) });
        else expect(a).toEqual({ group: 'rest', variant: null });
      }),
    );
    // no global share (or a transactional campaign): nobody is in the global control group
    const plan = assignmentPlan({ campaignId: 'x', weights: [1], controlPercent: 0, globalControlPercent: 0, testPercent: null });
    expect(uuids(500).every((id) => assign(plan, id).group === 'all')).toBe(true);
  });
});

describe('winner selection', () => {
  it('picks the best rate, compares exactly, breaks ties by conversions then by the earlier variant', () => {
    expect(pickWinner([{ variant: 0, sent: 100, converted: 10 }, { variant: 1, sent: 100, converted: 30 }], 2).winner).toBe(1);
    // 1/3 against 2/6: the same rate, more conversions win
    expect(pickWinner([{ variant: 0, sent: 3, converted: 1 }, { variant: 1, sent: 6, converted: 2 }], 2).winner).toBe(1);
    expect(pickWinner([{ variant: 0, sent: 5, converted: 1 }, { variant: 1, sent: 5, converted: 1 }], 2).winner).toBe(0);
    // a variant nobody got cannot win; with nothing sent at all, the first variant goes out
    expect(pickWinner([{ variant: 1, sent: 10, converted: 0 }], 3).winner).toBe(1);
    expect(pickWinner([], 2)).toEqual({ winner: 0, results: [{ variant: 0, sent: 0, converted: 0, rate: 0 }, { variant: 1, sent: 0, converted: 0, rate: 0 }] });
  });

  it('the winner has the highest rate of the variants that were sent', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 })), { minLength: 1, maxLength: 6 }), (pairs) => {
        const results = pairs.map(([a, b], variant) => ({ variant, sent: Math.max(a, b), converted: Math.min(a, b) }));
        const d = pickWinner(results, results.length);
        const sent = results.filter((r) => r.sent > 0);
        if (!sent.length) return expect(d.winner).toBe(0);
        const w = results[d.winner];
        expect(w.sent).toBeGreaterThan(0);
        for (const r of sent) expect(w.converted * r.sent).toBeGreaterThanOrEqual(r.converted * w.sent);
      }),
    );
  });

  it('counts the tracking events for opens and clicks, the goal event for goals', () => {
    expect(metricEvent('opens', null)).toBe('message_opened');
    expect(metricEvent('clicks', 'purchase')).toBe('message_clicked');
    expect(metricEvent('goal', 'purchase')).toBe('purchase');
    expect(() => metricEvent('goal', null)).toThrow();
  });
});

describe('schedules', () => {
  it('runs cron times in the schedule’s time zone, strictly after the given moment', () => {
    expect(nextCronRun('0 10 * * *', 'Europe/Berlin', new Date('2026-03-01T09:00:00Z'))!.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    // after the switch to summer time, 10:00 in Berlin is 08:00 UTC
    expect(nextCronRun('0 10 * * *', 'Europe/Berlin', new Date('2026-03-29T12:00:00Z'))!.toISOString()).toBe('2026-03-30T08:00:00.000Z');
    expect(nextCronRun('@weekly', 'UTC', new Date('2026-03-01T00:00:00Z'))!.toISOString()).toBe('2026-03-08T00:00:00.000Z');
  });

  it('accepts five-field crons and nicknames, refuses seconds and nonsense', () => {
    expect(cronProblem('*/15 9-17 * * 1-5', 'UTC')).toBeNull();
    expect(cronProblem('@daily', 'UTC')).toBeNull();
    expect(cronProblem('0 0 10 * * *', 'UTC')).toMatch(/five fields/);
    expect(cronProblem('every day', 'UTC')).toMatch(/five fields/);
    expect(cronProblem('61 * * * *', 'UTC')).toMatch(/not a cron expression/);
    expect(cronProblem('0 0 31 2 *', 'UTC')).toBe('never fires');
  });

  it('local send times: the wall-clock time of `at` in each zone; the snapshot waits for the earliest', () => {
    const at = '2026-03-10T10:00:00+01:00';
    const m = localSendMoments(at, ['Asia/Tokyo', 'Europe/Berlin', 'America/New_York', 'Pacific/Kiritimati']);
    expect(Object.fromEntries([...m].map(([z, d]) => [z, d.toISOString()]))).toEqual({
      'Asia/Tokyo': '2026-03-10T01:00:00.000Z',
      'Europe/Berlin': '2026-03-10T09:00:00.000Z',
      'America/New_York': '2026-03-10T14:00:00.000Z',
      'Pacific/Kiritimati': '2026-03-09T20:00:00.000Z',
    });
    expect(broadcastStartsAt(at, true, [...m.keys()]).toISOString()).toBe('2026-03-09T20:00:00.000Z');
    expect(broadcastStartsAt(at, false, [...m.keys()]).toISOString()).toBe('2026-03-10T09:00:00.000Z');
  });
});

describe('campaign definitions', () => {
  const base: CampaignDefinition = {
    name: 'Spring',
    kind: 'broadcast',
    channel: 'email',
    variants: [{ template_id: 't1', weight: 1 }],
    audience: { segment_ids: ['s1'] },
    schedule: null,
    send_in_profile_timezone: false,
    control_percent: 0,
    throttle_per_minute: null,
    winner_selection: null,
    goal: null,
    data: {},
  };
  const paths = (d: Partial<CampaignDefinition>) => definitionErrors({ ...base, ...d }).map((e) => e.path);

  it('accepts each kind with what it needs', () => {
    expect(paths({})).toEqual([]);
    expect(paths({ kind: 'regular', schedule: { cron: '0 9 * * 1', timezone: 'Europe/Berlin' } })).toEqual([]);
    expect(paths({ kind: 'trigger', audience: null })).toEqual([]);
    expect(paths({ schedule: { at: '2026-05-01T10:00:00+02:00' }, send_in_profile_timezone: true, throttle_per_minute: 1000 })).toEqual([]);
    expect(
      paths({ variants: [{ template_id: 'a', weight: 1 }, { template_id: 'b', weight: 3 }], winner_selection: { test_percent: 20, metric: 'goal', window: 'PT4H' }, goal: { event: 'purchase', within: 'P7D' } }),
    ).toEqual([]);
  });

  it('names every rule a definition breaks', () => {
    expect(paths({ audience: null })).toEqual(['audience.segment_ids']);
    expect(paths({ channel: 'fax' })).toEqual(['channel']);
    expect(paths({ channel: 'outbox' })).toEqual([]);
    expect(paths({ channel: '01900000-0000-7000-8000-000000000000' })).toEqual([]);
    expect(paths({ schedule: { cron: '0 9 * * *', timezone: 'UTC' } })).toEqual(['schedule.cron']);
    expect(paths({ kind: 'regular' })).toEqual(['schedule.cron']);
    expect(paths({ kind: 'trigger', schedule: { at: '2026-05-01T10:00:00Z' }, throttle_per_minute: 5, winner_selection: { test_percent: 10, metric: 'opens', window: 'PT1H' } }).sort()).toEqual(
      ['schedule', 'throttle', 'winner_selection', 'winner_selection'].sort(),
    );
    expect(paths({ send_in_profile_timezone: true })).toEqual(['send_in_profile_timezone']);
    expect(paths({ variants: [] })).toEqual(['variants']);
    expect(paths({ variants: [{ template_id: 'a', weight: 0 }] })).toEqual(['variants.0.weight']);
    expect(paths({ audience: { segment_ids: ['s1'], exclude_segment_ids: ['s2', 's1'] } })).toEqual(['audience.exclude_segment_ids.1']);
    expect(paths({ winner_selection: { test_percent: 100, metric: 'goal', window: 'P0D' } }).sort()).toEqual(
      ['goal', 'winner_selection', 'winner_selection.test_percent', 'winner_selection.window'].sort(),
    );
    expect(paths({ goal: { event: 'purchase', within: '-P1D' } })).toEqual(['goal.within']);
  });

  it('moves through the lifecycle: only drafts start, only paused campaigns resume, finished ones stay', () => {
    expect(actionRefusal('start', 'draft')).toBeNull();
    expect(actionRefusal('start', 'running')).toMatch(/cannot be started/);
    expect(actionRefusal('pause', 'scheduled')).toBeNull();
    expect(actionRefusal('resume', 'running')).toMatch(/must be paused/);
    expect(actionRefusal('cancel', 'completed')).toMatch(/cannot be canceled/);
    const now = new Date('2026-03-01T10:00:00Z');
    expect(activeStatus('broadcast', new Date('2026-03-02T10:00:00Z'), false, now)).toBe('scheduled');
    expect(activeStatus('broadcast', new Date('2026-03-02T10:00:00Z'), true, now)).toBe('running');
    expect(activeStatus('broadcast', now, false, now)).toBe('running');
    expect(activeStatus('regular', new Date('2026-03-02T10:00:00Z'), false, now)).toBe('running');
  });
});

describe('templates read promo codes', () => {
  const compiled = (body: string, subject: string | null = null) =>
    compileTemplate({ channel: 'email', format: 'html', subject, preheader: null, from: null, title: null, url: null, parse_mode: null, body, compiled_body: body }) as CompiledTemplate;

  it('finds every pool a template reads under promo, in any part', () => {
    expect(promoNames(compiled('<p>{{ promo.welcome }}</p>{% if promo.vip %}{{ promo["vip"] }}{% endif %}', 'Code {{ promo.subject_code }}')).sort()).toEqual(['subject_code', 'vip', 'welcome']);
    expect(promoNames(compiled('<p>{{ profile.fields.promo }}</p>'))).toEqual([]);
  });
});
