// Payload scripts: the medium's data as classic scripts, the one thing a page opened
// from file:// may load by itself. Format (also in viewer/README.md):
//
//   VIEWER/DATA/INDEX.JS   HANDOFF_PAYLOAD = {version: 1, complete: true, chunks: N,
//                              files: [{name: "STUDY.ZIP", size: 1234}, ...]};
//                          or {version: 1, complete: false, reason: "too-large",
//                              total: bytes, files: []} when the user must pick the data.
//   VIEWER/DATA/Dnnnnnnn.JS  (n = 0000001 .. N) one or more calls
//                          HANDOFF_DATA.push(fileIndex, offset, "base64");
//
// Every byte of every listed file is covered exactly once; the viewer checks that.

export function loadScript(src) {
	return new Promise((resolve, reject) => {
		const s = document.createElement('script');
		s.src = src;
		s.onload = () => {
			s.remove();
			resolve();
		};
		s.onerror = () => {
			s.remove();
			reject(new Error('could not load ' + src));
		};
		document.head.appendChild(s);
	});
}

export function chunkName(i) {
	return 'D' + String(i).padStart(7, '0') + '.JS';
}

function b64decode(s) {
	const bin = atob(s);
	const out = new Uint8Array(bin.length);
	for (let i = 0; i < bin.length; i++)
		out[i] = bin.charCodeAt(i);
	return out;
}

// Resolves to null (no payload on this medium), {complete: false, ...} or
// {complete: true, files: [{name, size, blob}]}.
export async function loadPayload(base, onProgress) {
	try {
		await loadScript(base + 'DATA/INDEX.JS');
	} catch (e) {
		return null;
	}
	const p = window.HANDOFF_PAYLOAD;
	if (!p || p.version !== 1 || !Array.isArray(p.files))
		return null;
	if (!p.complete)
		return { complete: false, reason: String(p.reason || ''), total: Number(p.total) || 0 };
	const files = p.files.map((f) => ({ name: String(f.name), size: Number(f.size), buf: null,
		got: 0 }));
	for (const f of files) {
		// 2 GiB: beyond what a tab can hold as one array; the kiosk's limit is far lower.
		if (!Number.isSafeInteger(f.size) || f.size < 0 || f.size > 2 ** 31)
			throw new Error('the viewer data on this medium is damaged (bad size)');
		f.buf = new Uint8Array(f.size);
	}
	let bad = null;
	window.HANDOFF_DATA = {
		push(fi, off, b64) {
			const f = files[fi];
			if (!f || !Number.isSafeInteger(off) || off < 0) {
				bad = 'bad chunk';
				return;
			}
			const bytes = b64decode(b64);
			if (off + bytes.length > f.size) {
				bad = 'chunk past end of file';
				return;
			}
			f.buf.set(bytes, off);
			f.got += bytes.length;
		},
	};
	const n = Number(p.chunks) || 0;
	let next = 1, done = 0;
	const worker = async () => {
		while (next <= n) {
			const i = next++;
			try {
				await loadScript(base + 'DATA/' + chunkName(i));
			} catch (e) {
				throw new Error('part of the viewer data on this medium could not be read (' +
					chunkName(i) + '); the disc may be scratched or the copy incomplete');
			}
			done++;
			if (onProgress)
				onProgress(done, n);
		}
	};
	// A few scripts in flight keeps the disc busy without flooding the page.
	await Promise.all([worker(), worker(), worker(), worker()]);
	delete window.HANDOFF_DATA;
	if (bad)
		throw new Error('the viewer data on this medium is damaged (' + bad + ')');
	for (const f of files)
		if (f.got !== f.size)
			throw new Error('the viewer data on this medium is incomplete (' + f.name + ')');
	return {
		complete: true,
		files: files.map((f) => {
			const blob = new Blob([f.buf]);
			f.buf = null;
			return { name: f.name, size: f.size, blob };
		}),
	};
}
