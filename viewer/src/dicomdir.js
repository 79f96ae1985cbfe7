// DICOMDIR reading (PS3.3 F.3 Basic Directory IOD): walks the directory records by
// their offsets (F.3.2.1: offsets count from the first byte of the file) and returns
// one entry per IMAGE record with the facts of its patient, study and series records.

import { text, personName, charsetOf } from './dicom.js';

const MAX_RECORDS = 200000;

export function readDicomdir(ds) {
	const seq = ds.elements.x00041220;
	if (!seq || !Array.isArray(seq.items))
		return null;
	const top = charsetOf(ds);
	const byOffset = new Map();
	for (const it of seq.items)
		byOffset.set(it.dataOffset - 8, it);
	const out = [];
	const visited = new Set();
	const walk = (offset, ctx) => {
		let guard = 0;
		while (offset && byOffset.has(offset) && !visited.has(offset)) {
			if (++guard > MAX_RECORDS || visited.size > MAX_RECORDS)
				return;
			visited.add(offset);
			const r = byOffset.get(offset).dataSet;
			const next = r.uint32('x00041400');
			const child = r.uint32('x00041420');
			const c = visit(r, ctx);
			if (child && c)
				walk(child, c);
			offset = next;
		}
	};
	const visit = (r, ctx) => {
		const type = (r.string('x00041430') || '').toUpperCase();
		const cs = r.elements.x00080005 ? charsetOf(r) : top;
		if (type === 'PATIENT')
			return { patientName: personName(r, 'x00100010', cs),
				patientId: text(r, 'x00100020', cs), birthDate: r.string('x00100030') || '' };
		if (type === 'STUDY')
			return Object.assign({}, ctx, { studyUid: r.string('x0020000d') || '',
				studyDate: r.string('x00080020') || '', studyDesc: text(r, 'x00081030', cs) });
		if (type === 'SERIES')
			return Object.assign({}, ctx, { seriesUid: r.string('x0020000e') || '',
				modality: r.string('x00080060') || '', seriesNumber: r.intString('x00200011'),
				seriesDesc: text(r, 'x0008103e', cs) });
		if (type === 'IMAGE') {
			const fid = r.string('x00041500');
			if (fid)
				out.push(Object.assign({}, ctx, {
					fileId: fid.split('\\').join('/'),
					instanceNumber: r.intString('x00200013'),
				}));
			return null;
		}
		return null;
	};
	const root = ds.uint32('x00041200');
	if (root && byOffset.has(root)) {
		walk(root, {});
	} else {
		// Offsets unusable: fall back to record order, which dcmmkdir writes depth-first.
		let ctx = [{}, {}, {}];
		for (const it of seq.items) {
			const type = (it.dataSet.string('x00041430') || '').toUpperCase();
			const lvl = { PATIENT: 0, STUDY: 1, SERIES: 2 }[type];
			const parent = lvl ? ctx[lvl - 1] : {};
			const c = visit(it.dataSet, type === 'IMAGE' ? ctx[2] : parent);
			if (c && lvl !== undefined)
				ctx[lvl] = c;
		}
	}
	return out;
}
