// Turns a decoded frame into 8-bit RGBA with rescale and window applied.

// Default window: the one in the header (PS3.3 C.11.2.1.2) or else the full range of
// modality values in this frame.
export function defaultWindow(decoded) {
	const p = decoded.params;
	if (decoded.rgb)
		return { wc: 127.5, ww: 256 };
	if (Number.isFinite(p.wc) && Number.isFinite(p.ww) && p.ww >= 1)
		return { wc: p.wc, ww: p.ww };
	const d = decoded.data;
	let lo = Infinity, hi = -Infinity;
	for (let i = 0; i < d.length; i++) {
		const v = d[i];
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	if (!(hi >= lo))
		lo = hi = 0;
	lo = lo * p.slope + p.intercept;
	hi = hi * p.slope + p.intercept;
	if (lo > hi)
		[lo, hi] = [hi, lo];
	return { wc: (lo + hi) / 2, ww: Math.max(1, hi - lo) };
}

// Fills `out` (ImageData of the frame's size). Linear VOI function of PS3.3
// C.11.2.1.2.1 with the window's top value mapped to 255; MONOCHROME1 inverted.
export function toImageData(decoded, wc, ww, out) {
	const p = decoded.params;
	const d = decoded.data;
	const px = out.data;
	const n = p.rows * p.cols;
	if (decoded.rgb) {
		const lo = wc - ww / 2, k = 255 / Math.max(1, ww);
		for (let i = 0; i < n; i++) {
			for (let c = 0; c < 3; c++) {
				let v = (d[3 * i + c] - lo) * k;
				px[4 * i + c] = v < 0 ? 0 : v > 255 ? 255 : v;
			}
			px[4 * i + 3] = 255;
		}
		return;
	}
	const invert = p.photometric === 'MONOCHROME1';
	const w1 = Math.max(1, ww) - 1;
	const lo = wc - 0.5 - w1 / 2;
	const k = w1 > 0 ? 255 / w1 : 0;
	const slope = p.slope, icpt = p.intercept;
	for (let i = 0; i < n; i++) {
		const m = d[i] * slope + icpt;
		let v;
		if (w1 <= 0)
			v = m < wc ? 0 : 255;
		else {
			v = (m - lo) * k;
			v = v < 0 ? 0 : v > 255 ? 255 : v;
		}
		if (invert)
			v = 255 - v;
		const j = 4 * i;
		px[j] = px[j + 1] = px[j + 2] = v;
		px[j + 3] = 255;
	}
}
