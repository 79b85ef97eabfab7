/**
 * Segment references form a graph that must stay acyclic: a segment may not (through any chain of
 * `{segment: id}` conditions) include itself.
 */
export function findCycle(start: string, refsOf: (id: string) => readonly string[]): string[] | null {
  const onPath: string[] = [];
  const done = new Set<string>();
  const visit = (id: string): string[] | null => {
    const at = onPath.indexOf(id);
    if (at >= 0) return [...onPath.slice(at), id];
    if (done.has(id)) return null;
    onPath.push(id);
    for (const next of refsOf(id)) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    onPath.pop();
    done.add(id);
    return null;
  };
  return visit(start);
}

/** Every segment reachable from `start` through references (not including `start` unless in a cycle). */
export function reachable(start: string, refsOf: (id: string) => readonly string[]): Set<string> {
  const seen = new Set<string>();
  const stack = [...refsOf(start)];
  while (stack.length) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...refsOf(id));
  }
  return seen;
}
