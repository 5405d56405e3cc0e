/** `npm run bench -- <name> [args]`: runs one benchmark, which prints its figures. */
const BENCHES: Record<string, () => Promise<{ run(args: string[]): Promise<void> }>> = {
  local: () => import('./local.js'),
  multilang: () => import('./multilang.js'),
  transport: () => import('./transport.js'),
  cluster: () => import('./cluster.js'),
  grpc: () => import('./grpc.js'),
};

const [name, ...args] = process.argv.slice(2);
const load = name ? BENCHES[name] : undefined;
if (!load) {
  console.error(`usage: npm run bench -- <${Object.keys(BENCHES).join('|')}> [args]`);
  process.exitCode = 2;
} else {
  await (await load()).run(args);
}
