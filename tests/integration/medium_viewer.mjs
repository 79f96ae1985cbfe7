// Opens INDEX.HTM of a medium that `handoff export` burnt (extracted from the disc image)
// in headless Chromium from file://, as a patient would, and checks what is on screen:
// the password prompt, a wrong password refused, the right one accepted, and the PIXELS
// of the first image against hw-sim's marker (hw-sim/README.md: a square of the series'
// marker value at rows/columns 0-31; an 8x8 block per set bit of InstanceNumber at
// columns 40+8b, rows 0-7).
//
// Usage: node medium_viewer.mjs --viewer VIEWER_SRC_DIR --medium DIR [--password P] [--shot PNG]
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const arg = (k) => {
	const i = process.argv.indexOf(k);
	return i > 0 ? process.argv[i + 1] : undefined;
};
const require = createRequire(resolve(arg('--viewer'), 'package.json'));
const puppeteer = require('puppeteer-core');
const medium = arg('--medium');
const password = arg('--password');
const shot = arg('--shot'); // optional PNG of what the patient sees

let failures = 0;
const check = (cond, what) => {
	console.log((cond ? 'ok   ' : 'FAIL ') + what);
	if (!cond)
		failures++;
};

const profile = mkdtempSync(join(tmpdir(), 'ho-medium-'));
const browser = await puppeteer.launch({
	executablePath: process.env.HO_CHROMIUM || '/usr/bin/chromium',
	headless: true,
	userDataDir: profile,
	args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
		'--disable-component-update', '--disable-sync', '--disable-quic'],
});
try {
	const page = await browser.newPage();
	page.on('pageerror', (e) => console.log('page error: ' + e.message));
	const waitState = (states) => page.waitForFunction((st) =>
		window.HANDOFF_VIEWER && st.includes(window.HANDOFF_VIEWER.state),
		{ timeout: 60000, polling: 50 }, states);
	await page.goto(pathToFileURL(join(medium, 'INDEX.HTM')).href);
	if (password) {
		await waitState(['password', 'error', 'pick']);
		check(await page.evaluate(() => window.HANDOFF_VIEWER.state) === 'password',
			'the medium asks for the password');
		const submit = async (text) => {
			await page.$eval('#pw-input', (el) => { el.value = ''; });
			await page.type('#pw-input', text);
			await page.click('#pw-submit');
		};
		await submit('ABCD-EFGH-JKMN-PQRS');
		await page.waitForFunction(() => /did not open/.test(
			document.getElementById('pw-msg').textContent), { timeout: 60000 });
		check(await page.evaluate(() => window.HANDOFF_VIEWER.state) === 'password',
			'a wrong password is refused and the prompt stays');
		await submit(password.toLowerCase());
	}
	await waitState(['viewing', 'error', 'pick']);
	const st = await page.evaluate(() => [window.HANDOFF_VIEWER.state, window.HANDOFF_VIEWER.error]);
	check(st[0] === 'viewing', `first image shown (${st[0]}${st[1] ? ': ' + st[1] : ''})`);
	const pixel = (x, y) => page.evaluate((x, y) => {
		const p = window.HANDOFF_VIEWER.imageToCanvas(x, y);
		const d = document.getElementById('image').getContext('2d')
			.getImageData(p.x, p.y, 1, 1).data;
		return [d[0], d[1], d[2]];
	}, x, y);
	const bright = (p) => p[0] > 200 && p[1] > 200 && p[2] > 200;
	const dark = (p) => p[0] < 60 && p[1] < 60 && p[2] < 60;
	const sq = await pixel(16, 16);
	check(bright(sq), `marker square bright at (16,16): ${sq}`);
	const b0 = await pixel(44, 4), b1 = await pixel(52, 4);
	check((bright(b0) && dark(b1)) || (dark(b0) && bright(b1)),
		`instance-number blocks read 1 or 2: ${b0} ${b1}`);
	if (shot)
		await page.screenshot({ path: shot });
	const hdr = await page.evaluate(() => document.body.innerText);
	check(/DEMO\^?\s*ALICE|ALICE/.test(hdr), 'header shows the patient name');
} catch (e) {
	check(false, 'exception: ' + e.message);
} finally {
	await browser.close();
	rmSync(profile, { recursive: true, force: true });
}
console.log(failures ? `${failures} checks failed` : 'all checks passed');
process.exit(failures ? 1 : 0);
