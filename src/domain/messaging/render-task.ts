import { compileTemplate, renderTemplate, type CompiledTemplate, type Rendered, type TemplateSource } from './template.js';
import { trackedHtml, type TrackSpec } from './tracking.js';

/** One message to render from plain data: the template (by its version key), its context, what to track. */
export interface RenderJob {
  template: string;
  scope: Record<string, unknown>;
  track?: TrackSpec;
}

/**
 * A batch of renders that needs nothing but its own data (so a worker thread can run it): the sources of
 * the templates it uses, keyed by version, and the installation key that signs tracking links.
 */
export interface RenderTask {
  templates: Record<string, TemplateSource>;
  jobs: RenderJob[];
  key: Uint8Array;
}

export type RenderOutcome = { ok: true; rendered: Rendered } | { ok: false; error: string };

/** Renders a message for sending: the template, then open and click tracking in an HTML email. */
export async function renderForSend(t: CompiledTemplate, scope: object, opts: { sync: boolean; key: Uint8Array; track?: TrackSpec; catalogue?: Parameters<typeof renderTemplate>[2] }): Promise<Rendered> {
  const r = await renderTemplate(t, scope, opts.catalogue, { sync: opts.sync, deriveText: false });
  if (opts.track && tracks(t)) r.body = trackedHtml(r.body, opts.key as Buffer, opts.track);
  return r;
}

/** Only HTML email carries a pixel and tracked links. */
export function tracks(t: CompiledTemplate): boolean {
  return t.source.channel === 'email' && t.source.format !== 'text';
}

/** Runs a render task synchronously per job; parsed templates are kept in `cache` by version key. */
export async function runRenderTask(task: RenderTask, cache: Map<string, CompiledTemplate>): Promise<RenderOutcome[]> {
  const out: RenderOutcome[] = [];
  for (const job of task.jobs) {
    try {
      let t = cache.get(job.template);
      if (!t) {
        const c = compileTemplate(task.templates[job.template]);
        if (Array.isArray(c)) throw new Error(c.map((e) => `${e.field}: ${e.message}`).join('; '));
        cache.set(job.template, (t = c));
      }
      out.push({ ok: true, rendered: await renderForSend(t, job.scope, { sync: true, key: task.key, track: job.track }) });
    } catch (err) {
      out.push({ ok: false, error: (err as Error).message });
    }
  }
  return out;
}
