// Drives headless Chromium (puppeteer-core, /usr/bin/chromium) over a medium built by
// viewer_test.py and checks what a person would see: the password prompt, the refusal
// of a wrong password, and the PIXELS of the rendered image.
//
// Usage: node browser_test.mjs --viewer VIEWER_SRC_DIR --medium DIR --spec JSON
//   spec: {scenario: "encrypted"|"plain"|"pick-zip"|"pick-files", password, typed,
//          series: [{kind, count, size}], pick: [paths], shot: PNG path, bench: bool}
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (k) => {
	const i = process.argv.indexOf(k);
	return i > 0 ? process.argv[i + 1] : undefined;
};
const viewerDir = arg('--viewer');
const medium = arg('--medium');
const spec = JSON.parse(arg('--spec'));
const require = createRequire(join(viewerDir, 'package.json'));
const puppeteer = require('puppeteer-core');

let failures = 0, passes = 0;
const check = (cond, what) => {
	if (cond) {
		passes++;
		console.log('ok   ' + what);
	} else {
		failures++;
		console.log('FAIL ' + what);
	}
};

const profile = mkdtempSync(join(tmpdir(), 'ho-chromium-'));
const firefox = spec.browser === 'firefox';
const browser = await puppeteer.launch(firefox ? {
	browser: 'firefox',
	executablePath: process.env.HO_FIREFOX || '/usr/bin/firefox-esr',
	headless: true,
	userDataDir: profile,
	defaultViewport: { width: 1200, height: 800, deviceScaleFactor: 1 },
	protocolTimeout: 240000,
} : {
	executablePath: process.env.HO_CHROMIUM || '/usr/bin/chromium',
	headless: true,
	args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--user-data-dir=' + profile,
		'--window-size=1200,800'],
	defaultViewport: { width: 1200, height: 800, deviceScaleFactor: 1 },
	protocolTimeout: 240000,
});
let dialogs = 0;
const TIMEOUT = spec.timeout || 30000;
try {
	const page = await browser.newPage();
	page.on('dialog', async (d) => {
		dialogs++;
		await d.dismiss();
	});
	page.on('pageerror', (e) => console.log('page error: ' + e.message));
	const waitState = (states) => page.waitForFunction((st) =>
		window.HANDOFF_VIEWER && st.includes(window.HANDOFF_VIEWER.state),
		{ timeout: TIMEOUT, polling: 20 }, states);
	const state = () => page.evaluate(() => window.HANDOFF_VIEWER.state);
	await page.goto(pathToFileURL(join(medium, 'INDEX.HTM')).href);

	if (spec.scenario === 'damaged') {
		await waitState(['error', 'viewing', 'password']);
		check(await state() === 'error', 'damaged payload: viewer stops');
		const msg = await page.$eval('#error', (e) => e.textContent);
		check(/could not be read/.test(msg), 'damaged payload explained: ' + msg);
		check(await page.$eval('#picker', (e) => !e.hidden), 'file picker offered instead');
		throw Object.assign(new Error('done'), { done: true });
	}
	if (/^pick-/.test(spec.scenario)) {
		await waitState(['pick', 'error']);
		check(await state() === 'pick', 'large study: viewer asks the user to pick the data');
		const input = await page.$({ 'pick-zip': '#pick-zip', 'pick-files': '#pick-files',
			'pick-dir': '#pick-dir' }[spec.scenario]);
		await input.uploadFile(...spec.pick);
		if (spec.scenario === 'pick-dir') {
			const n = await page.$eval('#pick-dir', (e) => e.files.length);
			const rel = await page.$eval('#pick-dir', (e) => e.files[0] &&
				e.files[0].webkitRelativePath);
			console.log(`picked folder: ${n} files, e.g. ${rel}`);
		}
	}
	if (spec.password) {
		await waitState(['password', 'error']);
		check(await state() === 'password', 'encrypted medium asks for the password');
		const submit = async (text) => {
			await page.$eval('#pw-input', (el) => {
				el.value = '';
			});
			await page.type('#pw-input', text);
			await page.click('#pw-submit');
		};
		if (!spec.bench) {
			await submit('ABC');
			await page.waitForFunction(() => /16 letters/.test(
				document.getElementById('pw-msg').textContent), { timeout: TIMEOUT });
			check(true, 'too-short password explained');
			await submit(spec.wrong || 'ABCD-EFGH-JKMN-PQRS');
			await page.waitForFunction(() => /did not open/.test(
				document.getElementById('pw-msg').textContent), { timeout: TIMEOUT });
			check(await state() === 'password', 'wrong password refused with a message, retry offered');
		}
		await submit(spec.typed || spec.password);
	}
	await waitState(['viewing', 'error']);
	const err = await page.evaluate(() => window.HANDOFF_VIEWER.error);
	check(await state() === 'viewing', 'first image shown' + (err ? ' (error: ' + err + ')' : ''));
	if (spec.index) {
		const how = await page.evaluate(() => window.HANDOFF_VIEWER.index);
		check(how === spec.index, `study tree built from ${spec.index} (${how})`);
	}
	if (spec.bench) {
		const m = await page.evaluate(() => window.HANDOFF_VIEWER.marks);
		// Scrolling: average time per slice step through up to 50 slices.
		m.step = await page.evaluate(async () => {
			const v = window.HANDOFF_VIEWER;
			const n = Math.min(50, v.current().count - 1);
			if (n < 1)
				return null;
			const t = performance.now();
			for (let i = 1; i <= n; i++)
				await v.showSlice(i);
			return (performance.now() - t) / n;
		});
		console.log('BENCH ' + JSON.stringify(m));
	}

	// Pixel at image coordinates (x, y) on the displayed canvas, as [r, g, b].
	const pixel = (x, y) => page.evaluate((x, y) => {
		const p = window.HANDOFF_VIEWER.imageToCanvas(x, y);
		const c = document.getElementById('image');
		const d = c.getContext('2d').getImageData(p.x, p.y, 1, 1).data;
		return [d[0], d[1], d[2]];
	}, x, y);
	const bright = (p) => p[0] > 200 && p[1] > 200 && p[2] > 200;
	const dark = (p) => p[0] < 60 && p[1] < 60 && p[2] < 60;
	const waitImage = (idx) => page.waitForFunction((idx) => {
		const c = window.HANDOFF_VIEWER.current();
		return c && c.index === idx;
	}, { timeout: TIMEOUT, polling: 20 }, idx);

	const series = spec.series || [];
	const nseries = await page.evaluate(() => window.HANDOFF_VIEWER.current().nseries);
	check(nseries === series.length, `all ${series.length} series listed (saw ${nseries})`);
	const buttons = await page.$$('#series-list button.series');
	for (let i = 0; i < series.length && !spec.bench; i++) {
		const se = series[i];
		await buttons[i].click();
		await page.waitForFunction((i) => {
			const c = window.HANDOFF_VIEWER.current();
			return c && c.sidx === i;
		}, { timeout: TIMEOUT }, i);
		await new Promise((r) => setTimeout(r, 50));
		const imgErr = await page.$eval('#image-msg', (e) => (e.hidden ? '' : e.textContent));
		const title = await page.$eval('#series-title', (e) => e.textContent);
		check(title.includes(se.kind), `${se.kind}: series described as "${title}"`);
		if (se.expect_error) {
			check(imgErr.includes(se.expect_error), `${se.kind}: refused in words: ${imgErr}`);
			continue;
		}
		check(!imgErr, `${se.kind}: decoded${imgErr ? ' (' + imgErr + ')' : ''}`);
		const sq = await pixel(32, 32), bg = await pixel(128, 128), edge = await pixel(60, 20);
		if (se.kind === 'rgb') {
			check(sq[0] > 200 && sq[1] < 60 && sq[2] < 60, `${se.kind}: red square ${sq}`);
			check(bg[0] < 30 && bg[2] > 20 && bg[2] < 70, `${se.kind}: dark blue background ${bg}`);
		} else {
			check(bright(sq), `${se.kind}: bright square at (32,32) ${sq}`);
			check(dark(bg) && dark(edge), `${se.kind}: dark elsewhere ${bg} ${edge}`);
		}
		if (se.count > 1 && se.size >= 256) {
			// Slice scrolling: slice k has a marker at row 204, col 20 + 16k.
			check(bright(await pixel(20, 204)) && dark(await pixel(36, 204)),
				`${se.kind}: slice 1 marker`);
			await page.focus('#image');
			await page.keyboard.press('ArrowDown');
			await waitImage(1);
			await new Promise((r) => setTimeout(r, 50));
			check(bright(await pixel(36, 204)) && dark(await pixel(20, 204)),
				`${se.kind}: ArrowDown shows slice 2`);
			const box = await (await page.$('#image')).boundingBox();
			await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
			await page.mouse.wheel({ deltaY: -100 });
			await waitImage(0);
			check(true, `${se.kind}: wheel scrolls back to slice 1`);
		}
	}
	if (!spec.bench && series.length) {
		// Window/level by dragging, zoom by key; the square stays where it is drawn.
		await buttons[0].click();
		await new Promise((r) => setTimeout(r, 100));
		const before = await page.evaluate(() => window.HANDOFF_VIEWER.current());
		const box = await (await page.$('#image')).boundingBox();
		await page.mouse.move(box.x + 300, box.y + 300);
		await page.mouse.down();
		await page.mouse.move(box.x + 500, box.y + 350, { steps: 5 });
		await page.mouse.up();
		const after = await page.evaluate(() => window.HANDOFF_VIEWER.current());
		check(after.ww > before.ww && after.wc !== before.wc,
			`drag changes window (W ${before.ww}->${after.ww}, L ${before.wc}->${after.wc})`);
		await page.focus('#image');
		await page.keyboard.press('+');
		const z = await page.evaluate(() => window.HANDOFF_VIEWER.current().zoom);
		check(z > 1, 'zoom in with +');
		await page.keyboard.press('r');
		check(bright(await pixel(32, 32)), 'after reset the square is still bright');
		// Untrusted text stays text.
		const hdr = await page.$eval('#hdr-patient', (e) => e.textContent);
		check(hdr === 'Müller, Zoë <img src onerror><script>alert(1)</script>', 'patient name shown as text: ' +
			hdr);
		check(await page.$$eval('img', (l) => l.length) === 0 && dialogs === 0,
			'markup in the patient name did not run');
		check(await page.$eval('#hdr-birth', (e) => e.textContent) === '1970-01-01',
			'birth date shown');
		check(await page.$eval('#hdr-date', (e) => e.textContent) === '2026-03-14',
			'study date shown');
		check(await page.$eval('#hdr-desc', (e) => e.textContent) === 'Viewer phantom',
			'study description shown');
		await page.waitForFunction(() => window.HANDOFF_VIEWER.thumbnailsDone,
			{ timeout: TIMEOUT });
		const thumbLit = await page.evaluate(() => {
			const c = document.querySelector('#series-list canvas');
			const d = c.getContext('2d').getImageData(0, 0, 64, 64).data;
			let lit = 0;
			for (let i = 0; i < d.length; i += 4)
				lit += d[i] > 200 ? 1 : 0;
			return lit;
		});
		check(thumbLit > 20, `thumbnail drawn (${thumbLit} bright pixels)`);
	}
	if (spec.shot)
		await page.screenshot({ path: spec.shot });
} catch (e) {
	if (!e.done) {
		failures++;
		console.log('FAIL exception: ' + (e && e.stack ? e.stack : e));
	}
} finally {
	await browser.close();
	rmSync(profile, { recursive: true, force: true });
}
console.log(`${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
