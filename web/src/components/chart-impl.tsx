import { Bar, BarChart, CartesianGrid, Cell, Legend, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { PALETTE, type ChartProps } from './Chart';

export default function ChartImpl({ kind, data, height = 220 }: ChartProps) {
  const colored = data.map((d, i) => ({ ...d, color: d.color ?? PALETTE[i % PALETTE.length] }));
  if (kind === 'pie')
    return (
      <ResponsiveContainer width="100%" height={height}>
        <PieChart>
          <Pie data={colored} dataKey="value" nameKey="name" innerRadius="55%" outerRadius="85%" paddingAngle={2} isAnimationActive={false}>
            {colored.map((d) => (
              <Cell key={d.name} fill={d.color} />
            ))}
          </Pie>
          <Tooltip />
          <Legend verticalAlign="middle" align="right" layout="vertical" />
        </PieChart>
      </ResponsiveContainer>
    );
  if (kind === 'funnel')
    return (
      <ResponsiveContainer width="100%" height={Math.max(height, colored.length * 34 + 30)}>
        <BarChart data={colored} layout="vertical" margin={{ left: 10, right: 30 }}>
          <CartesianGrid horizontal={false} strokeDasharray="3 3" />
          <XAxis type="number" allowDecimals={false} />
          <YAxis type="category" dataKey="name" width={150} tick={{ fontSize: 12 }} />
          <Tooltip />
          <Bar dataKey="value" isAnimationActive={false} radius={[0, 4, 4, 0]}>
            {colored.map((d) => (
              <Cell key={d.name} fill={d.color} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
    );
  return (
    <ResponsiveContainer width="100%" height={height}>
      <BarChart data={colored}>
        <CartesianGrid vertical={false} strokeDasharray="3 3" />
        <XAxis dataKey="name" tick={{ fontSize: 12 }} />
        <YAxis allowDecimals={false} />
        <Tooltip />
        <Bar dataKey="value" isAnimationActive={false} radius={[4, 4, 0, 0]}>
          {colored.map((d) => (
            <Cell key={d.name} fill={d.color} />
          ))}
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}
