// DICOM reading: header values (with the file's character set) and pixel decoding.
//
// Decoded frames hold stored values (before Modality LUT) in a typed array, so the
// renderer can apply rescale (PS3.3 C.7.6.3.1.4 / C.11.1) and window (C.11.2.1.2).

import dicomParser from 'dicom-parser';
import { Decoder as LosslessDecoder } from 'jpeg-lossless-decoder-js';
import { decodeRle } from './rle.js';
import { loadScript } from './payload.js';

// JPEG 2000 (OpenJPEG) and JPEG-LS (CharLS), compiled to WebAssembly embedded in classic
// scripts VIEWER/J2K.JS and VIEWER/JLS.JS, are large, so each is added as a <script>
// only when an image needs it.
let codecBase = 'VIEWER/';
const CODECS = {
	j2k: { file: 'J2K.JS', global: 'OpenJPEGJS', cls: 'J2KDecoder', name: 'JPEG 2000' },
	jls: { file: 'JLS.JS', global: 'CharLS', cls: 'JpegLSDecoder', name: 'JPEG-LS' },
};
const codecModules = {};
export function setCodecBase(base) {
	codecBase = base;
}
function codec(kind) {
	const c = CODECS[kind];
	if (!codecModules[kind])
		codecModules[kind] = loadScript(codecBase + c.file).then(() => {
			if (typeof window[c.global] !== 'function')
				throw new Error('not loaded');
			return window[c.global]();
		}).catch(() => {
			codecModules[kind] = null;
			throw new Error('the ' + c.name + ' decoder (VIEWER/' + c.file +
				') could not be loaded');
		});
	return codecModules[kind];
}

// Decodes with one of the on-demand codecs; returns interleaved little-endian samples.
async function decodeWasm(kind, frameBytes, p) {
	const m = await codec(kind);
	const dec = new m[CODECS[kind].cls]();
	try {
		dec.getEncodedBuffer(frameBytes.length).set(frameBytes);
		dec.decode();
		const fi = dec.getFrameInfo();
		if (fi.width !== p.cols || fi.height !== p.rows || fi.componentCount !== p.spp)
			throw new Error('the ' + CODECS[kind].name + ' image does not match its header');
		// Copy out of the WebAssembly heap before the decoder is freed.
		let out = new Uint8Array(dec.getDecodedBuffer()).slice();
		// JPEG-LS colour may come plane by plane (ISO 14495-1 interleave mode 0).
		if (kind === 'jls' && p.spp === 3 && p.bitsAllocated === 8 &&
		    dec.getInterleaveMode && dec.getInterleaveMode() === 0) {
			const n = p.rows * p.cols, il = new Uint8Array(out.length);
			for (let i = 0; i < n; i++) {
				il[3 * i] = out[i];
				il[3 * i + 1] = out[n + i];
				il[3 * i + 2] = out[2 * n + i];
			}
			out = il;
		}
		return out;
	} finally {
		dec.delete && dec.delete();
	}
}

export const TS = {
	IMPLICIT_LE: '1.2.840.10008.1.2',
	EXPLICIT_LE: '1.2.840.10008.1.2.1',
	DEFLATED_LE: '1.2.840.10008.1.2.1.99',
	EXPLICIT_BE: '1.2.840.10008.1.2.2',
	JPEG_BASELINE: '1.2.840.10008.1.2.4.50',
	JPEG_EXTENDED: '1.2.840.10008.1.2.4.51',
	JPEG_LOSSLESS: '1.2.840.10008.1.2.4.57',
	JPEG_LOSSLESS_SV1: '1.2.840.10008.1.2.4.70',
	JPEG_LS: '1.2.840.10008.1.2.4.80',
	JPEG_LS_NEAR: '1.2.840.10008.1.2.4.81',
	J2K_LOSSLESS: '1.2.840.10008.1.2.4.90',
	J2K: '1.2.840.10008.1.2.4.91',
	RLE: '1.2.840.10008.1.2.5',
};

// Largest image we agree to decode: a frame's pixel count and total bytes are checked
// before any allocation so a corrupt header cannot make the tab allocate gigabytes.
const MAX_PIXELS = 8192 * 8192;

// PS3.3 C.12.1.1.2 Specific Character Set -> WHATWG encoding label. ISO 2022 code
// extensions are approximated by the base single-byte set (good enough for display).
const CHARSETS = {
	'': 'windows-1252', 'ISO_IR 6': 'windows-1252', 'ISO 2022 IR 6': 'windows-1252',
	'ISO_IR 100': 'windows-1252', 'ISO 2022 IR 100': 'windows-1252',
	'ISO_IR 101': 'iso-8859-2', 'ISO 2022 IR 101': 'iso-8859-2',
	'ISO_IR 109': 'iso-8859-3', 'ISO_IR 110': 'iso-8859-4',
	'ISO_IR 144': 'iso-8859-5', 'ISO 2022 IR 144': 'iso-8859-5',
	'ISO_IR 127': 'iso-8859-6', 'ISO_IR 126': 'iso-8859-7', 'ISO_IR 138': 'iso-8859-8',
	'ISO_IR 148': 'iso-8859-9', 'ISO_IR 203': 'iso-8859-15', 'ISO_IR 166': 'windows-874',
	'ISO_IR 13': 'shift_jis', 'ISO 2022 IR 13': 'shift_jis', 'ISO 2022 IR 87': 'iso-2022-jp',
	'ISO 2022 IR 149': 'euc-kr', 'ISO 2022 IR 58': 'gb2312',
	'ISO_IR 192': 'utf-8', 'GB18030': 'gb18030', 'GBK': 'gbk',
};

const decoders = new Map();
function decoderFor(charset) {
	const terms = String(charset || '').split('\\').map((s) => s.trim());
	// With several terms the first is the default repertoire; a UTF-8 or GB term anywhere
	// wins because it is a superset encoding.
	let label = CHARSETS[terms[0]] || 'windows-1252';
	for (const t of terms)
		if (t === 'ISO_IR 192' || t === 'GB18030' || t === 'GBK')
			label = CHARSETS[t];
	if (!decoders.has(label)) {
		let d;
		try {
			d = new TextDecoder(label);
		} catch (e) {
			d = new TextDecoder('windows-1252');
		}
		decoders.set(label, d);
	}
	return decoders.get(label);
}

// Parses a Part 10 file (or a bare dataset in Implicit VR LE as a fallback).
export function parse(bytes) {
	try {
		return dicomParser.parseDicom(bytes);
	} catch (e) {
		// Not Part 10: some old media carry bare datasets (PS3.10 7.1 makes the
		// meta header mandatory, so this is lenient reading, not an endorsement).
		try {
			const ds = dicomParser.parseDicom(bytes, { TransferSyntaxUID: TS.IMPLICIT_LE });
			if (!ds.elements.x00080016 && !ds.elements.x00041220)
				throw new Error('not DICOM');
			return ds;
		} catch (e2) {
			const err = new Error('not a DICOM file');
			err.cause = e;
			throw err;
		}
	}
}

export function charsetOf(ds) {
	return ds.string('x00080005') || '';
}

// Text value of a string element decoded with the dataset's character set; leading and
// trailing spaces and NULs removed (PS3.5 6.2 padding).
export function text(ds, tag, charset) {
	const el = ds.elements[tag];
	if (!el || !el.length)
		return '';
	const raw = ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
	const s = decoderFor(charset === undefined ? charsetOf(ds) : charset).decode(raw);
	return s.replace(/^[\s\0]+|[\s\0]+$/g, '');
}

// Person Name for display: components separated by ^ become spaces, the first
// component group (alphabetic) first and the others in parentheses (PS3.5 6.2.1).
export function personName(ds, tag, charset) {
	const v = text(ds, tag, charset);
	if (!v)
		return '';
	const groups = v.split('=').map((g) => {
		const c = g.split('^');
		// family^given^middle^prefix^suffix -> "family, given middle"
		const family = (c[0] || '').trim();
		const rest = [c[3], c[1], c[2], c[4]].filter((x) => x && x.trim()).join(' ').trim();
		return family && rest ? family + ', ' + rest : family || rest;
	}).filter((g) => g);
	if (groups.length <= 1)
		return groups[0] || '';
	return groups[0] + ' (' + groups.slice(1).join(', ') + ')';
}

export function dateText(da) {
	const m = /^(\d{4})(\d{2})(\d{2})$/.exec(String(da || '').trim());
	return m ? m[1] + '-' + m[2] + '-' + m[3] : String(da || '');
}

function num(ds, tag, idx, dflt) {
	const v = ds.floatString(tag, idx || 0);
	return Number.isFinite(v) ? v : dflt;
}

export function transferSyntax(ds) {
	return ds.string('x00020010') || TS.IMPLICIT_LE;
}

// Header facts for building the study/series tree.
export function instanceInfo(ds) {
	const cs = charsetOf(ds);
	let z = NaN;
	const ipp = ds.string('x00200032');
	const iop = ds.string('x00200037');
	if (ipp && iop) {
		// Slice position along the normal of the image plane (PS3.3 C.7.6.2.1.1).
		const p = ipp.split('\\').map(Number);
		const o = iop.split('\\').map(Number);
		if (p.length === 3 && o.length === 6) {
			const n = [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5],
				o[0] * o[4] - o[1] * o[3]];
			z = p[0] * n[0] + p[1] * n[1] + p[2] * n[2];
		}
	}
	return {
		patientName: personName(ds, 'x00100010', cs),
		patientId: text(ds, 'x00100020', cs),
		birthDate: ds.string('x00100030') || '',
		studyUid: ds.string('x0020000d') || '',
		studyDate: ds.string('x00080020') || '',
		studyDesc: text(ds, 'x00081030', cs),
		seriesUid: ds.string('x0020000e') || '',
		seriesNumber: ds.intString('x00200011'),
		seriesDesc: text(ds, 'x0008103e', cs),
		modality: ds.string('x00080060') || '',
		instanceNumber: ds.intString('x00200013'),
		sopUid: ds.string('x00080018') || '',
		frames: Math.max(1, ds.intString('x00280008') || 1),
		hasPixels: !!ds.elements.x7fe00010,
		z,
	};
}

export function imageParams(ds) {
	const rows = ds.uint16('x00280010') || 0;
	const cols = ds.uint16('x00280011') || 0;
	const p = {
		rows, cols,
		spp: ds.uint16('x00280002') || 1,
		bitsAllocated: ds.uint16('x00280100') || 8,
		bitsStored: ds.uint16('x00280101') || ds.uint16('x00280100') || 8,
		pixelRep: ds.uint16('x00280103') || 0,
		planar: ds.uint16('x00280006') || 0,
		photometric: (ds.string('x00280004') || 'MONOCHROME2').trim().toUpperCase(),
		slope: num(ds, 'x00281053', 0, 1),
		intercept: num(ds, 'x00281052', 0, 0),
		wc: num(ds, 'x00281050', 0, NaN),
		ww: num(ds, 'x00281051', 0, NaN),
		frames: Math.max(1, ds.intString('x00280008') || 1),
		ts: transferSyntax(ds),
	};
	if (p.slope === 0)
		p.slope = 1;
	if (!rows || !cols || rows * cols > MAX_PIXELS)
		throw new Error('image size ' + cols + 'x' + rows + ' is not supported');
	if (p.bitsAllocated !== 8 && p.bitsAllocated !== 16)
		throw new Error(p.bitsAllocated + '-bit pixels are not supported');
	if (p.spp !== 1 && p.spp !== 3)
		throw new Error(p.spp + ' samples per pixel are not supported');
	return p;
}

export function supportedSyntax(ts) {
	return [TS.IMPLICIT_LE, TS.EXPLICIT_LE, TS.EXPLICIT_BE, TS.JPEG_BASELINE, TS.JPEG_LOSSLESS,
		TS.JPEG_LOSSLESS_SV1, TS.RLE, TS.J2K_LOSSLESS, TS.J2K, TS.JPEG_LS, TS.JPEG_LS_NEAR]
		.includes(ts);
}

const SYNTAX_NAMES = {
	[TS.DEFLATED_LE]: 'deflated little endian',
	[TS.JPEG_EXTENDED]: 'JPEG extended (12-bit)',
};
function syntaxName(ts) {
	return SYNTAX_NAMES[ts] || 'transfer syntax ' + ts;
}

// Bytes of one encapsulated frame (PS3.5 A.4): with a Basic Offset Table, or one
// fragment per frame, or (JPEG) frames found by their markers.
function encapsulatedFrame(ds, el, frame, nframes) {
	const frags = el.fragments || [];
	if (nframes <= 1)
		return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, 0, frags.length);
	if (el.basicOffsetTable && el.basicOffsetTable.length)
		return dicomParser.readEncapsulatedImageFrame(ds, el, frame);
	if (frags.length === nframes)
		return dicomParser.readEncapsulatedPixelDataFromFragments(ds, el, frame, 1);
	const bot = dicomParser.createJPEGBasicOffsetTable(ds, el);
	return dicomParser.readEncapsulatedImageFrame(ds, el, frame, bot);
}

// Turns little-endian sample bytes into a typed array of stored values, sign-extended
// and masked to Bits Stored (PS3.5 8.1.1: bits above High Bit may hold anything).
function toStored(bytes, p) {
	if (p.bitsAllocated === 8) {
		const u8 = bytes.byteOffset === 0 && bytes.length === bytes.buffer.byteLength ?
			bytes : bytes.slice();
		return p.pixelRep ? new Int8Array(u8.buffer, 0, u8.length) : u8;
	}
	const n = bytes.length >> 1;
	const buf = new ArrayBuffer(n * 2);
	new Uint8Array(buf).set(bytes.subarray(0, n * 2));
	const u16 = new Uint16Array(buf);
	const bs = p.bitsStored;
	if (p.pixelRep) {
		const out = new Int16Array(buf);
		if (bs < 16) {
			const sh = 32 - bs;
			for (let i = 0; i < n; i++)
				out[i] = (u16[i] << sh) >> sh;
		}
		return out;
	}
	if (bs < 16) {
		const mask = (1 << bs) - 1;
		for (let i = 0; i < n; i++)
			u16[i] &= mask;
	}
	return u16;
}

async function decodeJpegBaseline(frameBytes, p) {
	const blob = new Blob([frameBytes], { type: 'image/jpeg' });
	let bmp;
	try {
		bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none',
			premultiplyAlpha: 'none' });
	} catch (e) {
		throw new Error('the browser could not decode this JPEG image');
	}
	const c = document.createElement('canvas');
	c.width = p.cols;
	c.height = p.rows;
	const g = c.getContext('2d', { willReadFrequently: true });
	g.drawImage(bmp, 0, 0);
	bmp.close && bmp.close();
	const rgba = g.getImageData(0, 0, p.cols, p.rows).data;
	const n = p.rows * p.cols;
	const out = new Uint8Array(n * p.spp);
	if (p.spp === 1) {
		for (let i = 0; i < n; i++)
			out[i] = rgba[4 * i];
	} else {
		for (let i = 0; i < n; i++) {
			out[3 * i] = rgba[4 * i];
			out[3 * i + 1] = rgba[4 * i + 1];
			out[3 * i + 2] = rgba[4 * i + 2];
		}
	}
	return out;
}

// Decodes frame `frame` of a parsed dataset. Resolves to
// {params, data: typed array of stored values, rgb: bool}.
export async function decodeFrame(ds, frame) {
	const p = imageParams(ds);
	const el = ds.elements.x7fe00010;
	if (!el)
		throw new Error('this object has no image');
	if (frame < 0 || frame >= p.frames)
		throw new Error('frame ' + (frame + 1) + ' does not exist');
	const ts = p.ts;
	const n = p.rows * p.cols;
	const frameBytes = n * p.spp * (p.bitsAllocated >> 3);
	let bytes;
	let photometric = p.photometric;
	switch (ts) {
	case TS.IMPLICIT_LE:
	case TS.EXPLICIT_LE:
	case TS.EXPLICIT_BE: {
		const off = el.dataOffset + frame * frameBytes;
		if (off + frameBytes > el.dataOffset + el.length ||
		    off + frameBytes > ds.byteArray.length)
			throw new Error('the pixel data is shorter than the image size says');
		bytes = ds.byteArray.slice(off, off + frameBytes);
		if (ts === TS.EXPLICIT_BE && p.bitsAllocated === 16)
			for (let i = 0; i + 1 < bytes.length; i += 2) {
				const t = bytes[i];
				bytes[i] = bytes[i + 1];
				bytes[i + 1] = t;
			}
		if (p.spp === 3 && p.planar === 1) {
			// Colour-by-plane to colour-by-pixel (PS3.3 C.7.6.3.1.3).
			const il = new Uint8Array(bytes.length);
			for (let i = 0; i < n; i++) {
				il[3 * i] = bytes[i];
				il[3 * i + 1] = bytes[n + i];
				il[3 * i + 2] = bytes[2 * n + i];
			}
			bytes = il;
		}
		break;
	}
	case TS.RLE:
		bytes = decodeRle(encapsulatedFrame(ds, el, frame, p.frames), p.rows, p.cols,
			p.bitsAllocated, p.spp);
		break;
	case TS.JPEG_LOSSLESS:
	case TS.JPEG_LOSSLESS_SV1: {
		const f = encapsulatedFrame(ds, el, frame, p.frames);
		const out = new LosslessDecoder().decompress(f.buffer, f.byteOffset, f.length);
		bytes = new Uint8Array(out);
		if (bytes.length < frameBytes)
			throw new Error('the JPEG lossless image is smaller than its header says');
		bytes = bytes.subarray(0, frameBytes);
		break;
	}
	case TS.J2K_LOSSLESS:
	case TS.J2K:
	case TS.JPEG_LS:
	case TS.JPEG_LS_NEAR: {
		const kind = ts === TS.J2K_LOSSLESS || ts === TS.J2K ? 'j2k' : 'jls';
		bytes = await decodeWasm(kind, encapsulatedFrame(ds, el, frame, p.frames), p);
		if (bytes.length < frameBytes)
			throw new Error('the ' + CODECS[kind].name +
				' image is smaller than its header says');
		bytes = bytes.subarray(0, frameBytes);
		// OpenJPEG undoes the multi-component transform (YBR_RCT/ICT arrive as RGB);
		// JPEG-LS colour in DICOM is RGB (PS3.5 8.2.3).
		if (p.spp === 3)
			photometric = 'RGB';
		break;
	}
	case TS.JPEG_BASELINE:
		if (p.bitsAllocated !== 8)
			throw new Error('JPEG baseline with more than 8 bits is not valid');
		bytes = await decodeJpegBaseline(encapsulatedFrame(ds, el, frame, p.frames), p);
		// The browser's decoder has already turned YCbCr into RGB.
		if (p.spp === 3)
			photometric = 'RGB';
		break;
	default: {
		const e = new Error('This image is stored as ' + syntaxName(ts) + ', which this ' +
			'viewer cannot show. Any DICOM program can open it; README.TXT on the disc ' +
			'explains how.');
		e.whole = true;
		throw e;
	}
	}
	if (p.spp === 3 && photometric !== 'RGB') {
		if (photometric === 'YBR_FULL' && p.bitsAllocated === 8) {
			// PS3.3 C.7.6.3.1.2 YBR_FULL -> RGB
			for (let i = 0; i < bytes.length; i += 3) {
				const y = bytes[i], cb = bytes[i + 1] - 128, cr = bytes[i + 2] - 128;
				bytes[i] = Math.max(0, Math.min(255, y + 1.402 * cr));
				bytes[i + 1] = Math.max(0, Math.min(255, y - 0.344136 * cb - 0.714136 * cr));
				bytes[i + 2] = Math.max(0, Math.min(255, y + 1.772 * cb));
			}
		}
		photometric = 'RGB';
	}
	const data = toStored(bytes, p);
	return { params: p, data, rgb: p.spp === 3, photometric };
}
