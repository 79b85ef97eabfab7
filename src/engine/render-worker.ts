import { runRenderTask, type RenderOutcome, type RenderTask } from '../domain/messaging/render-task.js';
import type { CompiledTemplate } from '../domain/messaging/template.js';

const cache = new Map<string, CompiledTemplate>();

/** A render thread of the pool (see render-pool.ts): renders the jobs of a task from their plain data. */
export default function render(task: RenderTask): Promise<RenderOutcome[]> {
  if (cache.size > 200) cache.clear();
  return runRenderTask(task, cache);
}
