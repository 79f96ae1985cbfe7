// Builds the viewer into DIST (default ./dist): INDEX.HTM and VIEWER/{VIEWER.JS,VIEWER.CSS}.
// Usage: node build.mjs [--outdir DIR]
// A classic script (IIFE): pages opened from file:// cannot load ES modules.
import { build } from 'esbuild';
import { mkdirSync, copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const i = process.argv.indexOf('--outdir');
const out = i > 0 ? process.argv[i + 1] : join(here, 'dist');

rmSync(join(out, 'VIEWER'), { recursive: true, force: true });
mkdirSync(join(out, 'VIEWER'), { recursive: true });
await build({
	entryPoints: [join(here, 'src/main.js')],
	bundle: true,
	format: 'iife',
	platform: 'browser',
	// Browsers a patient may have: nothing older than ~2021.
	target: ['chrome90', 'edge90', 'firefox90', 'safari15'],
	minify: true,
	legalComments: 'eof',
	charset: 'utf8',
	logLevel: 'warning',
	outfile: join(out, 'VIEWER/VIEWER.JS'),
	define: { 'import.meta.url': '""' },
});
copyFileSync(join(here, 'src/viewer.css'), join(out, 'VIEWER/VIEWER.CSS'));
// JPEG 2000: OpenJPEG with its WebAssembly embedded (no fetch from file://), loaded by
// the viewer only when an image needs it.
copyFileSync(join(here, 'node_modules/@cornerstonejs/codec-openjpeg/dist/openjpegjs_decode.js'),
	join(out, 'VIEWER/J2K.JS'));
// JPEG-LS likewise: CharLS with embedded WebAssembly, VIEWER/JLS.JS.
copyFileSync(join(here, 'node_modules/@cornerstonejs/codec-charls/dist/charlsjs_decode.js'),
	join(out, 'VIEWER/JLS.JS'));
copyFileSync(join(here, 'src/index.htm'), join(out, 'INDEX.HTM'));
