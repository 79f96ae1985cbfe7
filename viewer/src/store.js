// Where files come from: payload blobs, files the user picked, or entries of STUDY.ZIP.
// Every source is reduced to {name, size, read(): Promise<Uint8Array>}; names use '/'
// and are upper-cased with ISO 9660 version suffixes removed, so DICOMDIR file IDs
// (PS3.10 8.2) match however the OS shows the disc.

import { ZipReader, BlobReader, Uint8ArrayWriter, configure } from
	'../node_modules/@zip.js/zip.js/lib/zip-core-native.js';

// From file:// there are no workers from files; decryption runs on the page.
configure({ useWebWorkers: false });

export function normName(name) {
	return String(name).replace(/\\/g, '/').split('/').filter((c) => c && c !== '.')
		.map((c) => c.replace(/;\d*$/, '').replace(/\.$/, '').toUpperCase()).join('/');
}

export function fromBlob(name, blob) {
	return {
		name: normName(name),
		size: blob.size,
		blob,
		read: async () => new Uint8Array(await blob.arrayBuffer()),
	};
}

// Picked files: strip the folder the user picked (first component of
// webkitRelativePath) so that paths are relative to the medium root.
export function fromPicked(fileList) {
	const list = Array.from(fileList);
	const paths = list.map((f) => f.webkitRelativePath || f.name);
	const firsts = new Set(paths.map((p) => p.split('/')[0]));
	const strip = paths.every((p) => p.includes('/')) && firsts.size === 1;
	return list.map((f, i) => fromBlob(strip ? paths[i].split('/').slice(1).join('/') :
		paths[i], f));
}

export class WrongPasswordError extends Error {}

function isPasswordError(e) {
	const m = String((e && e.message) || e);
	return /password|authentication code|signature/i.test(m);
}

// Opens a ZIP. Resolves to {encrypted, unlock(password) -> Promise<files>}.
export async function openZip(blob) {
	const reader = new ZipReader(new BlobReader(blob));
	let entries;
	try {
		entries = (await reader.getEntries()).filter((e) => !e.directory);
	} catch (e) {
		throw new Error('STUDY.ZIP could not be read; the file may be damaged or incomplete');
	}
	const encrypted = entries.some((e) => e.encrypted);
	const files = (password) => entries.map((e) => ({
		name: normName(e.filename),
		size: e.uncompressedSize,
		read: () => e.getData(new Uint8ArrayWriter(), password ? { password } : {}),
	}));
	return {
		encrypted,
		count: entries.length,
		async unlock(password) {
			if (!encrypted)
				return files(null);
			// Decrypting the smallest entry proves the password: AE-2 checks a
			// password verifier and then the HMAC over the data (WinZip AES spec).
			const enc = entries.filter((e) => e.encrypted)
				.sort((a, b) => a.compressedSize - b.compressedSize)[0];
			try {
				await enc.getData(new Uint8ArrayWriter(), { password });
			} catch (e) {
				if (isPasswordError(e))
					throw new WrongPasswordError('wrong password');
				throw e;
			}
			return files(password);
		},
	};
}
