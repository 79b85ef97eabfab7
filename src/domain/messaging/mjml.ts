export interface MjmlResult {
  html: string;
  errors: { line: number | null; message: string }[];
}

type Mjml2Html = (source: string, options: object) => Promise<{ html: string; errors?: { line?: number; message: string }[] }> | { html: string; errors?: { line?: number; message: string }[] };
let compiler: Promise<Mjml2Html> | null = null;

/**
 * MJML → responsive HTML, done once when a template is saved (Liquid runs on the compiled HTML per message).
 * The compiler is loaded on first use: it takes seconds to load and most processes never need it.
 */
export async function compileMjml(source: string): Promise<MjmlResult> {
  compiler ??= import('mjml').then((m) => (m.default ?? m) as unknown as Mjml2Html);
  try {
    const mjml2html = await compiler;
    const r = await mjml2html(source, { validationLevel: 'soft', keepComments: false });
    return { html: r.html, errors: (r.errors ?? []).map((e) => ({ line: e.line ?? null, message: e.message })) };
  } catch (err) {
    return { html: '', errors: [{ line: null, message: (err as Error).message }] };
  }
}
