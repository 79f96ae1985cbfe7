// Handoff viewer: entry point of the classic-script bundle VIEWER/VIEWER.JS.
// All text from the data (patient names, descriptions) goes into the page through
// textContent only: it is untrusted input.

import { normalizePassword } from './password.js';
import { loadPayload } from './payload.js';
import { fromBlob, fromPicked, openZip, WrongPasswordError, normName } from './store.js';
import { parse, instanceInfo, decodeFrame, dateText, imageParams, setCodecBase } from
	'./dicom.js';
import { readDicomdir } from './dicomdir.js';
import { defaultWindow, toImageData } from './render.js';

const T0 = performance.now();
const $ = (id) => document.getElementById(id);
const api = (window.HANDOFF_VIEWER = { state: 'start', firstImageMs: null, error: null,
	marks: {} });
// Timestamps (ms since navigation start) for the benchmark: payload, unlocked, first-image.
const mark = (name) => {
	if (!(name in api.marks))
		api.marks[name] = performance.now();
};

// Base URL of VIEWER/ from this script's own address, so the medium root can be anywhere.
const BASE = (() => {
	const s = document.currentScript && document.currentScript.src;
	return s ? s.replace(/[^/]*$/, '') : 'VIEWER/';
})();

setCodecBase(BASE);

function setState(s) {
	api.state = s;
	document.body.dataset.state = s;
}

function status(msg) {
	$('status').textContent = msg;
}

function fail(msg) {
	api.error = msg;
	setState('error');
	const e = $('error');
	e.textContent = msg;
	e.hidden = false;
	$('progress').hidden = true;
	showPicker('');
}

function showPicker(why) {
	if (why !== undefined && why !== '')
		$('picker-why').textContent = why;
	$('picker').hidden = false;
}

function progress(done, total) {
	const p = $('progress');
	p.hidden = false;
	p.max = total || 1;
	p.value = done;
}

// ---- opening -------------------------------------------------------------------

const SKIP = /^(VIEWER\/|IHE_PDI\/|INDEX\.HTM|README\.TXT|AUTORUN\.INF)/;

async function openFiles(files) {
	$('error').hidden = true;
	const zip = files.find((f) => /(^|\/)STUDY\.ZIP$/.test(f.name)) ||
		(files.length === 1 && /\.ZIP$/.test(files[0].name) ? files[0] : null);
	if (zip) {
		status('Reading ' + zip.name.split('/').pop() + '...');
		const z = await openZip(zip.blob);
		if (!z.encrypted)
			return openDicom(await z.unlock(null));
		return askPassword(z);
	}
	return openDicom(files.filter((f) => !SKIP.test(f.name)));
}

function askPassword(z) {
	setState('password');
	status('These images are protected by a password. It is printed on your receipt.');
	$('progress').hidden = true;
	const form = $('pw-form');
	const input = $('pw-input');
	const msg = $('pw-msg');
	form.hidden = false;
	input.focus();
	return new Promise((resolve, reject) => {
		form.onsubmit = async (ev) => {
			ev.preventDefault();
			const n = normalizePassword(input.value);
			if (!n.ok) {
				msg.textContent = n.message;
				input.select();
				return;
			}
			msg.textContent = 'Checking the password...';
			$('pw-submit').disabled = true;
			try {
				mark('submit');
				const files = await z.unlock(n.password);
				mark('unlocked');
				input.value = '';
				msg.textContent = '';
				form.hidden = true;
				form.onsubmit = null;
				resolve(openDicom(files));
			} catch (e) {
				if (e instanceof WrongPasswordError) {
					setState('password');
					msg.textContent = 'That password did not open the images. Please check it ' +
						'against your receipt and try again.';
					input.select();
				} else {
					reject(e);
				}
			} finally {
				$('pw-submit').disabled = false;
			}
		};
	});
}

// ---- study model ---------------------------------------------------------------

let studies = [];
const byName = new Map();
const cache = new Map(); // file -> {ds, size}; LRU by insertion order (names may repeat)
let cacheBytes = 0;
const CACHE_MAX = 256 * 1024 * 1024;

async function loadDs(file) {
	const hit = cache.get(file);
	if (hit) {
		cache.delete(file);
		cache.set(file, hit);
		return hit.ds;
	}
	const bytes = await file.read();
	const ds = parse(bytes);
	cache.set(file, { ds, size: bytes.length });
	cacheBytes += bytes.length;
	for (const [k, v] of cache) {
		if (cacheBytes <= CACHE_MAX || cache.size <= 1)
			break;
		cache.delete(k);
		cacheBytes -= v.size;
	}
	return ds;
}

function addInstance(info, file) {
	let st = studies.find((s) => s.uid === info.studyUid && s.patientId === info.patientId);
	if (!st) {
		st = { uid: info.studyUid, patientName: info.patientName, patientId: info.patientId,
			birthDate: info.birthDate, date: info.studyDate, desc: info.studyDesc, series: [] };
		studies.push(st);
	}
	let se = st.series.find((s) => s.uid === info.seriesUid);
	if (!se) {
		se = { uid: info.seriesUid, modality: info.modality, number: info.seriesNumber,
			desc: info.seriesDesc, slices: [], study: st, wl: null, index: 0 };
		st.series.push(se);
	}
	se.slices.push({ file, frame: 0, inst: info.instanceNumber, z: info.z, expanded: false });
}

function sortAll() {
	studies.sort((a, b) => String(a.date).localeCompare(String(b.date)));
	for (const st of studies) {
		st.series.sort((a, b) => (a.number || 0) - (b.number || 0));
		for (const se of st.series)
			se.slices.sort((a, b) => (a.inst || 0) - (b.inst || 0) ||
				(Number.isFinite(a.z) && Number.isFinite(b.z) ? a.z - b.z : 0) ||
				a.file.name.localeCompare(b.file.name));
	}
}

async function openDicom(files) {
	setState('loading');
	studies = [];
	byName.clear();
	cache.clear();
	cacheBytes = 0;
	for (const f of files)
		byName.set(f.name, f);
	const dd = files.find((f) => /(^|\/)DICOMDIR$/.test(f.name));
	let fromDir = false;
	if (dd) {
		status('Reading the disc directory...');
		try {
			const recs = readDicomdir(parse(await dd.read()));
			const dir = dd.name.includes('/') ? dd.name.replace(/\/[^/]*$/, '/') : '';
			let missing = 0;
			for (const r of recs || []) {
				const f = byName.get(normName(dir + r.fileId));
				if (!f) {
					missing++;
					continue;
				}
				addInstance(Object.assign({ z: NaN }, r), f);
			}
			fromDir = recs && recs.length > 0 && missing === 0;
			if (!fromDir)
				studies = [];
		} catch (e) {
			studies = [];
		}
	}
	if (!fromDir) {
		const cand = files.filter((f) => f !== dd && f.size > 132);
		let i = 0;
		for (const f of cand) {
			status('Reading file ' + (++i) + ' of ' + cand.length + '...');
			progress(i, cand.length);
			try {
				const ds = await loadDs(f);
				const info = instanceInfo(ds);
				if (info.hasPixels)
					addInstance(info, f);
			} catch (e) {
				// Not DICOM (or unreadable): skipped; the tree shows what could be read.
			}
		}
	}
	api.index = fromDir ? 'dicomdir' : 'scan';
	sortAll();
	if (!studies.length)
		throw new Error('No images were found. If you picked a folder, pick the whole disc ' +
			'or its DICOM folder.');
	$('start').hidden = true;
	$('viewer').hidden = false;
	buildList();
	await selectSeries(studies[0].series[0]);
	setState('viewing');
	makeThumbnails();
}

// ---- series list and thumbnails ----------------------------------------------------

function seriesLabel(se) {
	const parts = [];
	if (se.modality)
		parts.push(se.modality);
	if (se.number !== undefined && se.number !== null && !Number.isNaN(se.number))
		parts.push('#' + se.number);
	if (se.desc)
		parts.push(se.desc);
	return parts.join(' ') || 'Series';
}

function buildList() {
	const nav = $('series-list');
	nav.textContent = '';
	for (const st of studies) {
		const h = document.createElement('h3');
		h.textContent = [dateText(st.date), st.desc].filter((x) => x).join(' - ') || 'Study';
		nav.appendChild(h);
		for (const se of st.series) {
			const b = document.createElement('button');
			b.type = 'button';
			b.className = 'series';
			const c = document.createElement('canvas');
			c.width = c.height = 64;
			c.setAttribute('aria-hidden', 'true');
			const t = document.createElement('span');
			t.textContent = seriesLabel(se) + ' (' + se.slices.length + ')';
			se.labelEl = t;
			b.append(c, t);
			b.addEventListener('click', () => selectSeries(se));
			se.button = b;
			se.thumb = c;
			nav.appendChild(b);
		}
	}
}

// DICOMDIR records carry only the keys PS3.3 F.5 requires; once an image of a series has
// been read, fill in what they lack (series description, birth date) from the file.
function enrich(se, ds) {
	if (se.enriched)
		return;
	se.enriched = true;
	const info = instanceInfo(ds);
	let changed = false;
	if (!se.desc && info.seriesDesc) {
		se.desc = info.seriesDesc;
		changed = true;
	}
	if (!se.study.birthDate && info.birthDate)
		se.study.birthDate = info.birthDate;
	if (!se.study.desc && info.studyDesc)
		se.study.desc = info.studyDesc;
	if (changed && se.labelEl)
		se.labelEl.textContent = seriesLabel(se) + ' (' + se.slices.length + ')';
	if (view.series === se) {
		setHeader(se.study);
		$('series-title').textContent = seriesLabel(se);
	}
}

async function makeThumbnails() {
	for (const st of studies)
		for (const se of st.series) {
			try {
				const sl = se.slices[Math.floor(se.slices.length / 2)];
				const ds = await loadDs(sl.file);
				enrich(se, ds);
				const dec = await decodeFrame(ds, 0);
				const w = defaultWindow(dec);
				const img = new ImageData(dec.params.cols, dec.params.rows);
				toImageData(dec, w.wc, w.ww, img);
				const tmp = document.createElement('canvas');
				tmp.width = dec.params.cols;
				tmp.height = dec.params.rows;
				tmp.getContext('2d').putImageData(img, 0, 0);
				const g = se.thumb.getContext('2d');
				const s = Math.min(64 / tmp.width, 64 / tmp.height);
				g.fillStyle = '#000';
				g.fillRect(0, 0, 64, 64);
				g.drawImage(tmp, (64 - tmp.width * s) / 2, (64 - tmp.height * s) / 2,
					tmp.width * s, tmp.height * s);
			} catch (e) {
				// A series whose image cannot be decoded keeps an empty thumbnail.
			}
		}
	api.thumbnailsDone = true;
}

// ---- the image -------------------------------------------------------------------

const view = { series: null, decoded: null, zoom: 1, panX: 0, panY: 0, wc: 0, ww: 1,
	tool: 'wl', token: 0 };
const frameCanvas = document.createElement('canvas');

function setHeader(st) {
	$('hdr-patient').textContent = st.patientName || '-';
	$('hdr-birth').textContent = st.birthDate ? dateText(st.birthDate) : '-';
	$('hdr-date').textContent = st.date ? dateText(st.date) : '-';
	$('hdr-desc').textContent = st.desc || '-';
}

async function selectSeries(se) {
	if (view.series && view.series.button)
		view.series.button.removeAttribute('aria-current');
	view.series = se;
	if (se.button)
		se.button.setAttribute('aria-current', 'true');
	setHeader(se.study);
	$('series-title').textContent = seriesLabel(se);
	view.zoom = 1;
	view.panX = view.panY = 0;
	await showSlice(se.index || 0);
}

// Multi-frame objects become one slice per frame once their header has been read.
function expand(se, idx, frames) {
	const sl = se.slices[idx];
	sl.expanded = true;
	if (frames <= 1)
		return;
	const more = [];
	for (let f = 1; f < frames; f++)
		more.push(Object.assign({}, sl, { frame: f }));
	se.slices.splice(idx + 1, 0, ...more);
	if (se.labelEl)
		se.labelEl.textContent = seriesLabel(se) + ' (' + se.slices.length + ')';
}

async function showSlice(idx) {
	const se = view.series;
	if (!se)
		return;
	idx = Math.max(0, Math.min(se.slices.length - 1, idx));
	se.index = idx;
	const token = ++view.token;
	const msg = $('image-msg');
	try {
		let sl = se.slices[idx];
		const ds = await loadDs(sl.file);
		enrich(se, ds);
		if (!sl.expanded)
			expand(se, idx, imageParams(ds).frames);
		sl = se.slices[idx];
		const dec = await decodeFrame(ds, sl.frame);
		if (token !== view.token)
			return;
		msg.hidden = true;
		view.decoded = dec;
		if (!se.wl)
			se.wl = defaultWindow(dec);
		view.wc = se.wl.wc;
		view.ww = se.wl.ww;
		frameCanvas.width = dec.params.cols;
		frameCanvas.height = dec.params.rows;
		updateFrame();
		const sld = $('slice-slider');
		sld.max = String(se.slices.length);
		sld.value = String(idx + 1);
		$('slice-text').textContent = (idx + 1) + ' / ' + se.slices.length;
		if (api.firstImageMs === null) {
			api.firstImageMs = performance.now() - T0;
			mark('first-image');
		}
	} catch (e) {
		if (token !== view.token)
			return;
		msg.textContent = e && e.whole ? e.message :
			'This image cannot be shown: ' + (e && e.message ? e.message : e) + '.';
		msg.hidden = false;
		api.imageError = msg.textContent;
	}
}

function updateFrame() {
	const dec = view.decoded;
	if (!dec)
		return;
	const img = new ImageData(dec.params.cols, dec.params.rows);
	toImageData(dec, view.wc, view.ww, img);
	frameCanvas.getContext('2d').putImageData(img, 0, 0);
	draw();
}

function geometry() {
	const c = $('image');
	const dpr = window.devicePixelRatio || 1;
	const cw = Math.max(1, Math.round(c.clientWidth * dpr));
	const ch = Math.max(1, Math.round(c.clientHeight * dpr));
	const p = view.decoded.params;
	const s = Math.min(cw / p.cols, ch / p.rows) * view.zoom;
	return { cw, ch, s, dpr, x0: (cw - p.cols * s) / 2 + view.panX * dpr,
		y0: (ch - p.rows * s) / 2 + view.panY * dpr };
}

function draw() {
	const c = $('image');
	if (!view.decoded)
		return;
	const g0 = geometry();
	if (c.width !== g0.cw || c.height !== g0.ch) {
		c.width = g0.cw;
		c.height = g0.ch;
	}
	const g = c.getContext('2d');
	g.fillStyle = '#000';
	g.fillRect(0, 0, c.width, c.height);
	g.imageSmoothingEnabled = g0.s < 1;
	g.drawImage(frameCanvas, g0.x0, g0.y0, frameCanvas.width * g0.s, frameCanvas.height * g0.s);
	const se = view.series;
	$('overlay').textContent = 'Image ' + (se.index + 1) + ' / ' + se.slices.length +
		'    W ' + Math.round(view.ww) + '  L ' + Math.round(view.wc) +
		'    ' + Math.round(view.zoom * 100) + '%';
}

// Canvas pixel (device pixels) where the centre of image pixel (x, y) is drawn.
api.imageToCanvas = (x, y) => {
	const g = geometry();
	return { x: Math.floor(g.x0 + (x + 0.5) * g.s), y: Math.floor(g.y0 + (y + 0.5) * g.s) };
};
api.showSlice = (i) => showSlice(i);
api.current = () => view.series && { index: view.series.index, count: view.series.slices.length,
	wc: view.wc, ww: view.ww, zoom: view.zoom, series: seriesLabel(view.series),
	nseries: studies.reduce((n, s) => n + s.series.length, 0),
	sidx: studies.flatMap((s) => s.series).indexOf(view.series) };

// ---- interaction -----------------------------------------------------------------

function setTool(t) {
	view.tool = t;
	for (const [id, name] of [['tool-wl', 'wl'], ['tool-pan', 'pan'], ['tool-zoom', 'zoom']])
		$(id).setAttribute('aria-pressed', String(name === t));
}

function resetView() {
	if (!view.series || !view.decoded)
		return;
	view.series.wl = defaultWindow(view.decoded);
	view.wc = view.series.wl.wc;
	view.ww = view.series.wl.ww;
	view.zoom = 1;
	view.panX = view.panY = 0;
	updateFrame();
}

function zoomBy(f) {
	view.zoom = Math.max(0.1, Math.min(40, view.zoom * f));
	draw();
}

function wireUi() {
	$('tool-wl').addEventListener('click', () => setTool('wl'));
	$('tool-pan').addEventListener('click', () => setTool('pan'));
	$('tool-zoom').addEventListener('click', () => setTool('zoom'));
	$('tool-reset').addEventListener('click', resetView);
	$('slice-slider').addEventListener('input', (e) => showSlice(Number(e.target.value) - 1));
	const c = $('image');
	let drag = null;
	c.addEventListener('contextmenu', (e) => e.preventDefault());
	c.addEventListener('pointerdown', (e) => {
		c.focus();
		c.setPointerCapture(e.pointerId);
		let tool = view.tool;
		if (e.button === 1 || e.shiftKey)
			tool = 'pan';
		else if (e.button === 2 || e.ctrlKey)
			tool = 'zoom';
		drag = { x: e.clientX, y: e.clientY, tool };
	});
	c.addEventListener('pointermove', (e) => {
		if (!drag || !view.decoded)
			return;
		const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
		drag.x = e.clientX;
		drag.y = e.clientY;
		if (drag.tool === 'wl') {
			// Sensitivity follows the current width so fine and coarse windows both work.
			const k = Math.max(view.ww, 1) / 256;
			view.ww = Math.max(1, view.ww + dx * k);
			view.wc = view.wc + dy * k;
			view.series.wl = { wc: view.wc, ww: view.ww };
			updateFrame();
		} else if (drag.tool === 'pan') {
			view.panX += dx;
			view.panY += dy;
			draw();
		} else {
			zoomBy(Math.exp(-dy / 150));
		}
	});
	const end = () => {
		drag = null;
	};
	c.addEventListener('pointerup', end);
	c.addEventListener('pointercancel', end);
	c.addEventListener('wheel', (e) => {
		e.preventDefault();
		if (e.ctrlKey)
			zoomBy(e.deltaY < 0 ? 1.1 : 1 / 1.1);
		else if (view.series)
			showSlice(view.series.index + (e.deltaY > 0 ? 1 : -1));
	}, { passive: false });
	c.addEventListener('keydown', (e) => {
		const se = view.series;
		if (!se)
			return;
		const steps = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1,
			PageDown: 10, PageUp: -10 };
		if (e.key in steps)
			showSlice(se.index + steps[e.key]);
		else if (e.key === 'Home')
			showSlice(0);
		else if (e.key === 'End')
			showSlice(se.slices.length - 1);
		else if (e.key === '+' || e.key === '=')
			zoomBy(1.25);
		else if (e.key === '-')
			zoomBy(0.8);
		else if (e.key === 'r' || e.key === '0')
			resetView();
		else
			return;
		e.preventDefault();
	});
	window.addEventListener('resize', draw);
	const picked = (input) => async () => {
		if (!input.files || !input.files.length)
			return;
		mark('picked');
		$('picker').hidden = true;
		$('error').hidden = true;
		try {
			await openFiles(fromPicked(input.files));
		} catch (e) {
			fail(errText(e));
		}
	};
	for (const id of ['pick-zip', 'pick-dir', 'pick-files'])
		$(id).addEventListener('change', picked($(id)));
}

function errText(e) {
	const m = e && e.message ? e.message : String(e);
	return m.charAt(0).toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? '' : '.');
}

async function start() {
	wireUi();
	setState('loading');
	status('Looking for the images on this disc...');
	let p;
	try {
		p = await loadPayload(BASE, (d, n) => {
			status('Loading the images: ' + Math.round((100 * d) / n) + '%');
			progress(d, n);
		});
	} catch (e) {
		return fail(errText(e) + ' Please choose the data yourself below.');
	}
	mark('payload');
	if (!p || !p.complete) {
		setState('pick');
		$('progress').hidden = true;
		status(p ? 'These images are too large for the viewer to open by itself.' :
			'The viewer needs your permission to read the images.');
		showPicker('Your browser only lets this page read files you choose. Choose STUDY.ZIP ' +
			'(protected disc) or the whole disc (other discs).');
		return;
	}
	try {
		await openFiles(p.files.map((f) => fromBlob(f.name, f.blob)));
	} catch (e) {
		fail(errText(e));
	}
}

if (document.readyState === 'loading')
	document.addEventListener('DOMContentLoaded', start);
else
	start();
