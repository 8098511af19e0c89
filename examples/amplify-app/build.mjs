// Builds the app into dist/ (or --outdir=DIR): src/main.js and the npm packages it imports
// bundled into one browser script, index.html beside it, and config.json when there is one.
// `node build.mjs --serve[=PORT]` also serves dist/ at http://localhost:PORT (default 3000),
// every unknown path answered with index.html.

import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name) => process.argv.find((a) => a === `--${name}` || a.startsWith(`--${name}=`))?.split('=')[1];
const outdir = arg('outdir') ?? join(here, 'dist');
const serve = process.argv.some((a) => a.startsWith('--serve'));

const options = {
  entryPoints: [join(here, 'src', 'main.js')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  outfile: join(outdir, 'app.js'),
  logLevel: 'error',
};

await mkdir(outdir, { recursive: true });
await copyFile(join(here, 'index.html'), join(outdir, 'index.html'));
if (existsSync(join(here, 'config.json'))) await copyFile(join(here, 'config.json'), join(outdir, 'config.json'));

if (serve) {
  const context = await esbuild.context(options);
  const port = Number(arg('serve') ?? 3000);
  await context.serve({ servedir: outdir, port, host: 'localhost', fallback: join(outdir, 'index.html') });
  console.log(`serving http://localhost:${port}/`);
} else {
  await esbuild.build(options);
}
