import mjml2html from 'mjml';

export interface MjmlResult {
  html: string;
  errors: { line: number | null; message: string }[];
}

/** MJML → responsive HTML, done once when a template is saved (Liquid runs on the compiled HTML per message). */
export async function compileMjml(source: string): Promise<MjmlResult> {
  try {
    const r = await (mjml2html as unknown as (s: string, o: object) => Promise<{ html: string; errors: { line?: number; message: string; formattedMessage?: string }[] }> | { html: string; errors: { line?: number; message: string }[] })(
      source,
      { validationLevel: 'soft', keepComments: false },
    );
    return { html: r.html, errors: (r.errors ?? []).map((e) => ({ line: e.line ?? null, message: e.message })) };
  } catch (err) {
    return { html: '', errors: [{ line: null, message: (err as Error).message }] };
  }
}
