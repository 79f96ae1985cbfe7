// Password input rule (see viewer/README.md).
//
// The kiosk makes 16 characters of Crockford base32 (80 bits) and prints them as
// XXXX-XXXX-XXXX-XXXX; the ZIP password is the 16 upper-case characters without dashes.
// People retype what they read, so: case does not matter, dashes and spaces are ignored,
// and the letters Crockford's alphabet leaves out because they look like digits are read
// as those digits (I and L -> 1, O -> 0). U is not in the alphabet and is refused.

export const PASSWORD_LENGTH = 16;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Returns {ok: true, password} or {ok: false, message}. Never echoes the input back.
export function normalizePassword(input) {
	let out = '';
	let bad = 0;
	const s = String(input || '').toUpperCase();
	for (const ch of s) {
		if (ch === '-' || ch === ' ' || ch === '\t' || ch === '\u2010' || ch === '\u2013')
			continue;
		let c = ch;
		if (c === 'I' || c === 'L')
			c = '1';
		else if (c === 'O')
			c = '0';
		if (ALPHABET.indexOf(c) < 0) {
			bad++;
			continue;
		}
		out += c;
	}
	if (bad > 0)
		return {
			ok: false,
			message: 'The password uses only the digits 0-9 and the letters A-Z except U. ' +
				'Please check what you typed against the receipt.'
		};
	if (out.length !== PASSWORD_LENGTH)
		return {
			ok: false,
			message: 'The password has 16 letters and digits (like ABCD-EFGH-JKMN-PQRS); you typed ' +
				out.length + '. Please check the receipt and try again.'
		};
	return { ok: true, password: out };
}
