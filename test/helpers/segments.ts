import type { Harness } from './harness.js';

/** The profile's segment_entered / segment_exited timeline entries, newest first. */
export async function segmentEvents(h: Harness, profileId: string): Promise<{ title: string; data: { segment_id?: string } }[]> {
  const r = await h.get(`/api/v1/profiles/${profileId}/timeline?limit=1000`);
  return (r.body.items as { title: string; data: { segment_id?: string } }[]).filter((e) => e.title.startsWith('segment_'));
}

/** How many times the profile entered (or left) the segment, as recorded on its timeline. */
export async function transitions(h: Harness, profileId: string, segmentId: string, title: 'segment_entered' | 'segment_exited'): Promise<number> {
  return (await segmentEvents(h, profileId)).filter((e) => e.title === title && e.data.segment_id === segmentId).length;
}

/** Polls until `probe` gives a value or `ms` pass. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number): Promise<T | undefined> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Polls until the profile's count of the transition reaches `n`; returns the milliseconds it took (Infinity if never). */
export async function transitionWithin(h: Harness, profileId: string, segmentId: string, title: 'segment_entered' | 'segment_exited', n: number, ms = 1000): Promise<number> {
  const started = Date.now();
  const ok = await waitFor(async () => ((await transitions(h, profileId, segmentId, title)) >= n ? true : undefined), ms);
  return ok ? Date.now() - started : Infinity;
}
