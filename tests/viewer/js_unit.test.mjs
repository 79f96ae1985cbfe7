// Unit tests of the viewer's pure functions (node's test runner, no browser):
// the password input rule and the RLE decoder (PS3.5 Annex G).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePassword } from '../../viewer/src/password.js';
import { decodeRle } from '../../viewer/src/rle.js';

test('password: case, dashes, spaces and look-alikes', () => {
	for (const typed of ['7K0Q-M1ZP-4D9X-T2RB', '7k0qm1zp4d9xt2rb', '7kOq mLzp 4d9x t2rb',
		' 7KoQ-MIZP-4D9X-T2RB '])
		assert.deepEqual(normalizePassword(typed), { ok: true, password: '7K0QM1ZP4D9XT2RB' });
});

test('password: wrong length and foreign characters refused with a message', () => {
	assert.equal(normalizePassword('ABCD-EFGH').ok, false);
	assert.match(normalizePassword('ABCD-EFGH').message, /16 letters/);
	assert.equal(normalizePassword('7K0Q-M1ZP-4D9X-T2RBX').ok, false);
	const u = normalizePassword('UUUU-M1ZP-4D9X-T2RB');
	assert.equal(u.ok, false);
	assert.match(u.message, /except U/);
	assert.equal(normalizePassword('7K0Q-M1ZP-4D9X-T2R!').ok, false);
});

function rleFrame(segments) {
	const head = new Uint8Array(64);
	const dv = new DataView(head.buffer);
	dv.setUint32(0, segments.length, true);
	let off = 64;
	segments.forEach((s, i) => {
		dv.setUint32(4 + 4 * i, off, true);
		off += s.length;
	});
	const out = new Uint8Array(off);
	out.set(head);
	let o = 64;
	for (const s of segments) {
		out.set(s, o);
		o += s.length;
	}
	return out;
}

test('rle: 8-bit literal and replicate runs', () => {
	// 2x3 image: literal run of 2 (h=1), replicate 4 x 9 (h=-3)
	const f = rleFrame([Uint8Array.from([1, 5, 6, 253, 9])]);
	assert.deepEqual(Array.from(decodeRle(f, 2, 3, 8, 1)), [5, 6, 9, 9, 9, 9]);
});

test('rle: 16-bit high byte segment first, output little endian', () => {
	const hi = Uint8Array.from([255, 0x12]); // replicate 2 x 0x12
	const lo = Uint8Array.from([1, 0x34, 0x56]);
	const out = decodeRle(rleFrame([hi, lo]), 1, 2, 16, 1);
	assert.deepEqual(Array.from(new Uint16Array(out.buffer)), [0x1234, 0x1256]);
});

test('rle: RGB planes interleaved; -128 is a no-op; short segments refused', () => {
	const r = Uint8Array.from([128, 0, 10]), g = Uint8Array.from([0, 20]),
		b = Uint8Array.from([0, 30]);
	assert.deepEqual(Array.from(decodeRle(rleFrame([r, g, b]), 1, 1, 8, 3)), [10, 20, 30]);
	assert.throws(() => decodeRle(rleFrame([Uint8Array.from([0, 1])]), 2, 2, 8, 1), /early/);
	assert.throws(() => decodeRle(rleFrame([r, g]), 1, 1, 8, 3), /segments/);
	assert.throws(() => decodeRle(new Uint8Array(10), 1, 1, 8, 1), /short/);
});
