// Checks that a medium's payload scripts reproduce the listed files byte for byte,
// by running INDEX.JS and every D*.JS in a sandbox as the browser would.
// Usage: node payload_check.mjs MEDIUM [--expect-incomplete]
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';

const medium = process.argv[2];
const expectIncomplete = process.argv.includes('--expect-incomplete');
const dataDir = join(medium, 'VIEWER', 'DATA');
const ctx = vm.createContext({});
vm.runInContext(readFileSync(join(dataDir, 'INDEX.JS'), 'utf8'), ctx);
const p = ctx.HANDOFF_PAYLOAD;
const fail = (m) => {
	console.error('payload_check: FAIL: ' + m);
	process.exit(1);
};
if (!p || p.version !== 1)
	fail('INDEX.JS does not define HANDOFF_PAYLOAD version 1');
const names = readdirSync(dataDir).filter((n) => n !== 'INDEX.JS').sort();
for (const n of readdirSync(dataDir))
	if (!/^[A-Z0-9_]{1,8}(\.[A-Z0-9_]{1,3})?$/.test(n))
		fail('not an 8.3 upper-case name: ' + n);
if (expectIncomplete) {
	if (p.complete !== false || names.length)
		fail('expected no payload (too large), got complete=' + p.complete);
	console.log('payload_check: ok (too large, total ' + p.total + ' bytes, no chunks)');
	process.exit(0);
}
if (!p.complete)
	fail('payload says incomplete');
if (names.length !== p.chunks)
	fail(`INDEX.JS says ${p.chunks} chunks, directory has ${names.length}`);
const bufs = p.files.map((f) => Buffer.alloc(f.size));
const got = p.files.map(() => 0);
ctx.HANDOFF_DATA = {
	push(fi, off, b64) {
		const b = Buffer.from(b64, 'base64');
		if (!bufs[fi] || off + b.length > bufs[fi].length)
			fail('chunk out of range');
		b.copy(bufs[fi], off);
		got[fi] += b.length;
	},
};
names.forEach((n, i) => {
	if (n !== 'D' + String(i + 1).padStart(7, '0') + '.JS')
		fail('unexpected chunk name ' + n);
	vm.runInContext(readFileSync(join(dataDir, n), 'utf8'), ctx);
});
let total = 0;
p.files.forEach((f, i) => {
	if (got[i] !== f.size)
		fail(`${f.name}: ${got[i]} bytes in payload, ${f.size} expected`);
	if (!bufs[i].equals(readFileSync(join(medium, f.name))))
		fail(f.name + ': payload differs from the file');
	total += f.size;
});
console.log(`payload_check: ok (${p.files.length} files, ${total} bytes, ${names.length} chunks)`);
