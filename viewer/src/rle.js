// DICOM RLE Lossless decoder (PS3.5 Annex G).
//
// A frame is a 64-byte header (segment count, then 15 little-endian segment offsets)
// followed by PackBits-coded segments. Each segment holds one byte plane: for 16-bit
// data the most significant byte plane comes first (G.2); for RGB, segments are the
// R, G, B planes (colour-by-plane on decode is fixed by G.2 regardless of Planar
// Configuration). Output is little-endian interleaved: what an uncompressed Explicit
// VR Little Endian frame would hold with Planar Configuration 0.

export function decodeRle(frame, rows, cols, bitsAllocated, samplesPerPixel) {
	if (frame.length < 64)
		throw new Error('RLE frame too short');
	const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
	const nseg = dv.getUint32(0, true);
	const bytesPerSample = bitsAllocated >> 3;
	const expected = bytesPerSample * samplesPerPixel;
	if (nseg !== expected || nseg < 1 || nseg > 15)
		throw new Error('RLE frame has ' + nseg + ' segments; expected ' + expected);
	const npix = rows * cols;
	const out = new Uint8Array(npix * expected);
	for (let s = 0; s < nseg; s++) {
		const start = dv.getUint32(4 + 4 * s, true);
		const end = s + 1 < nseg ? dv.getUint32(8 + 4 * s, true) : frame.length;
		if (start < 64 || start > frame.length || end > frame.length || end < start)
			throw new Error('RLE segment offset out of range');
		// Segment s is sample (s / bytesPerSample), byte (MSB first) within it.
		const sample = Math.floor(s / bytesPerSample);
		const byteInSample = bytesPerSample - 1 - (s % bytesPerSample);
		const stride = expected;
		let o = sample * bytesPerSample + byteInSample;
		let n = 0;
		let i = start;
		while (n < npix && i < end) {
			const h = (frame[i++] << 24) >> 24; // signed header byte
			if (h >= 0) {
				for (let k = 0; k <= h && n < npix && i < end; k++, n++, o += stride)
					out[o] = frame[i++];
			} else if (h !== -128) {
				const v = frame[i++];
				for (let k = 0; k < 1 - h && n < npix; k++, n++, o += stride)
					out[o] = v;
			}
		}
		if (n < npix)
			throw new Error('RLE segment ' + s + ' ends early');
	}
	return out;
}
