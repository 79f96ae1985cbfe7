// Encodes one raw little-endian frame as a JPEG 2000 codestream (reversible, lossless)
// with the OpenJPEG build the viewer bundles, for the viewer's JPEG 2000 test images.
// Usage: node j2k_encode.cjs IN.raw OUT.j2k WIDTH HEIGHT BITS SIGNED(0|1) COMPONENTS
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const OpenJPEGJS = require(join(__dirname, '../../viewer/node_modules/@cornerstonejs/' +
	'codec-openjpeg/dist/openjpegjs.js'));

(async () => {
	const [inp, out, w, h, bits, signed, comps] = process.argv.slice(2);
	const m = await OpenJPEGJS();
	const enc = new m.J2KEncoder();
	const buf = enc.getDecodedBuffer({ width: +w, height: +h, bitsPerSample: +bits,
		componentCount: +comps, isSigned: signed === '1', isUsingColorTransform: false });
	buf.set(readFileSync(inp));
	enc.encode();
	writeFileSync(out, enc.getEncodedBuffer());
})();
