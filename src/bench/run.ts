export async function runBench(name: string | undefined, db: string) {
  throw new Error(`bench ${name} on ${db}: not yet`);
}
