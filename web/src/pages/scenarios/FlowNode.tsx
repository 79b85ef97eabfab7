import { Handle, Position, type Node, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { Icon } from '../../components/icons';
import type { NodeStats } from './api';
import { isTrigger } from './catalogue';
import type { Out } from './graph';

export interface FlowNodeData extends Record<string, unknown> {
  id: string;
  type: string;
  label: string;
  icon: string;
  summary: string;
  outputs: Out[];
  terminal: boolean;
  stats?: NodeStats;
  faults: string[];
  active: boolean;
}

export type FlowNodeType = Node<FlowNodeData, 'step'>;

/** One step on the canvas: its title, what it is set to, live counts, faults, and a handle per output. */
export const FlowNode = memo(function FlowNode({ data, selected }: NodeProps<FlowNodeType>) {
  const trigger = isTrigger(data.type);
  const cls = ['flow-node', trigger && 'flow-node--trigger', data.faults.length > 0 && 'flow-node--invalid', selected && 'flow-node--selected', data.active && 'flow-node--active'].filter(Boolean).join(' ');
  return (
    <div className={cls} data-node-id={data.id} data-node-type={data.type} data-testid="flow-node">
      {!trigger && <Handle type="target" position={Position.Top} />}
      <div className="flow-node__head">
        <Icon name={data.icon} size={15} />
        <span className="flow-node__title">{data.label}</span>
        {data.stats && (
          <span className="flow-node__count" title="entered · waiting now" data-testid="node-count">
            {data.stats.entered}
            {data.stats.waiting > 0 && <span className="flow-node__waiting"> · {data.stats.waiting} waiting</span>}
          </span>
        )}
      </div>
      <div className="flow-node__summary">{data.summary || <span className="muted">{data.id}</span>}</div>
      {data.faults.length > 0 && (
        <div className="flow-node__fault" role="alert" data-testid="node-fault">
          {data.faults.join('; ')}
        </div>
      )}
      {data.outputs.length === 1 && data.outputs[0].handle === 'next' ? (
        <Handle type="source" position={Position.Bottom} id="next" />
      ) : (
        data.outputs.map((o, i) => (
          <Handle key={o.handle} type="source" position={Position.Bottom} id={o.handle} style={{ left: `${((i + 1) / (data.outputs.length + 1)) * 100}%` }}>
            <span className="flow-node__branch">{o.handle}</span>
          </Handle>
        ))
      )}
    </div>
  );
});
