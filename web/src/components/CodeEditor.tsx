import { lazy, Suspense } from 'react';

export interface CodeEditorProps {
  value: string;
  onChange(value: string): void;
  label: string;
  invalid?: boolean;
  minHeight?: number;
  id?: string;
}

const Impl = lazy(() => import('./code-editor-impl'));

/** A code editor for Liquid / HTML / MJML bodies; its chunk loads when first shown. */
export function CodeEditor(props: CodeEditorProps) {
  return (
    <Suspense fallback={<textarea className="input input--mono" rows={10} aria-label={props.label} value={props.value} onChange={(e) => props.onChange(e.target.value)} />}>
      <Impl {...props} />
    </Suspense>
  );
}
