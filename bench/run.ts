/**
 * Runs the benchmarks: `npm run bench` runs them all, `npm run bench -- crc32c` the one named by an
 * argument or, when none has that exact name, those whose name contains it (`-- client` runs
 * client only, not group-clients; `-- cluster` every cluster benchmark). Each
 * `bench/<name>.bench.ts` default-exports an async function that measures and prints its own table.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const all = readdirSync(dir).filter((f) => f.endsWith('.bench.js'));
const matches = (file: string, filter: string) => (all.includes(`${filter}.bench.js`) ? file === `${filter}.bench.js` : file.includes(filter));
const files = all
  .filter((f) => filters.length === 0 || filters.some((x) => matches(f, x)))
  .sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(' ')}`);
  process.exit(1);
}
console.log(`# Samsa benchmarks — node ${process.version}, ${process.platform}/${process.arch}`);
for (const f of files) {
  const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default: () => Promise<void> };
  await mod.default();
}
