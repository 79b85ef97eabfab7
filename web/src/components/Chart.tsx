import { lazy, Suspense } from 'react';

export interface ChartDatum {
  name: string;
  value: number;
  color?: string;
}

export interface ChartProps {
  /** `bar` columns, `pie` a donut of shares, `funnel` horizontal bars from the top step down. */
  kind: 'bar' | 'pie' | 'funnel';
  data: ChartDatum[];
  /** What the chart shows, for screen readers and tests. */
  label: string;
  height?: number;
}

const Impl = lazy(() => import('./chart-impl'));

/** Charts (recharts), loaded only by the screens that draw one. */
export function Chart(props: ChartProps) {
  return (
    <figure className="chart" aria-label={props.label} data-testid={`chart-${props.kind}`} data-values={props.data.map((d) => `${d.name}=${d.value}`).join(',')}>
      <Suspense fallback={<div className="chart__loading" style={{ height: props.height ?? 220 }} />}>
        <Impl {...props} />
      </Suspense>
    </figure>
  );
}

export const PALETTE = ['#4f46e5', '#059669', '#d97706', '#dc2626', '#0891b2', '#7c3aed', '#64748b', '#db2777'];
