// The JavaScript and Python examples of docs/protocol.md, run as written against a real daemon: an
// app developer who copies them gets snapshots, ticker pushes and no refusal, and when the first
// token expires the example says so and goes on with a fresh one. Only the URL and the app's token
// source are filled in (the examples leave getToken / get_token to the app): it hands out a token
// that expires a few seconds in, then long-lived ones.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HERE, mintJwt, startDaemon, stopChecked } from './daemon.mjs';

const DOC = path.resolve(HERE, '../../docs/protocol.md');
const DOC_URL = 'http://127.0.0.1:8080';

let d;
let dir;

before(async () => {
  // No leeway: the first token's expiry shows within the test's time.
  d = await startDaemon({ feed: { tick_interval_ms: 100 }, auth: { leeway_s: 0 } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-docs-'));
  // The JS example imports "socket.io-client": resolve it from the test clients' packages.
  fs.symlinkSync(path.resolve(HERE, '../clients/node_modules'), path.join(dir, 'node_modules'), 'dir');
});

after(async () => {
  if (d) await stopChecked(d);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Tokens for `user`: the first expires 3 s from now, the next one in an hour. */
function tokens(user) {
  const now = Math.floor(Date.now() / 1000);
  return [mintJwt(user, { exp: now + 3 }), mintJwt(user, { exp: now + 3600 })];
}

/** True when `out` announced the token's expiry and then printed a line matching `re`. */
function afterExpiry(out, re) {
  const i = out.indexOf('token expired: reconnecting with a fresh one');
  return i >= 0 && re.test(out.slice(i));
}

/** The fenced code block of `lang` in the "## Examples" section of docs/protocol.md. */
function example(lang) {
  const doc = fs.readFileSync(DOC, 'utf8');
  const section = doc.slice(doc.indexOf('\n## Examples'));
  const m = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section);
  assert.ok(m, `docs/protocol.md has a ${lang} example under "## Examples"`);
  assert.ok(m[1].includes(DOC_URL), `the ${lang} example connects to ${DOC_URL}`);
  return m[1].replaceAll(DOC_URL, d.url);
}

/**
 * Runs argv until `done(output)` holds or 25 s pass, then stops it. Resolves with everything it
 * printed (stdout and stderr).
 */
function runUntil(argv, done) {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const finish = () => { clearTimeout(timer); child.kill('SIGKILL'); };
    const timer = setTimeout(finish, 25000);
    const take = (chunk) => { out += chunk; if (done(out)) finish(); };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('exit', () => { clearTimeout(timer); resolve(out); });
  });
}

test('the JavaScript example subscribes and prints snapshots and tickers', async () => {
  const file = path.join(dir, 'example.mjs');
  // getToken is the app's; the example's imports stay first.
  const code = example('js').replace(/(import [^\n]*\n)(?!import)/,
    `$1const tokens = ${JSON.stringify(tokens('docs-js'))};\nlet issued = 0;\n` +
    'async function getToken() { return tokens[Math.min(issued++, tokens.length - 1)]; }\n');
  fs.writeFileSync(file, code);
  const out = await runUntil([process.execPath, file], (o) => /^BTCUSDT \d/m.test(o) && afterExpiry(o, /^balance main \d+/m));
  for (const ev of ['balance', 'positions', 'pnl', 'orders']) {
    assert.match(out, new RegExp(`^${ev} main \\d+`, 'm'), `the example printed a ${ev} push:\n${out}`);
  }
  assert.match(out, /^BTCUSDT \d/m, `the example printed a ticker price:\n${out}`);
  assert.ok(afterExpiry(out, /^balance main \d+/m), `after the expiry, a fresh balance snapshot:\n${out}`);
  assert.doesNotMatch(out, /refused|Error/, out);
});

test('the Python example subscribes and prints the balance', async () => {
  const file = path.join(dir, 'example.py');
  fs.writeFileSync(file, `tokens = ${JSON.stringify(tokens('docs-py'))}\n` +
    'def get_token():\n    return tokens.pop(0) if len(tokens) > 1 else tokens[0]\n\n' + example('python'));
  const python = process.env.TRADEPUSH_E2E_PYTHON3 ?? '/usr/bin/python3';
  // Whole lines only: output may arrive cut mid-line.
  const out = await runUntil([python, '-u', file], (o) => afterExpiry(o, /^equity [0-9.]+ seq \d+\n/m));
  assert.match(out, /^equity [0-9.]+ seq \d+/m, `the example printed the balance:\n${out}`);
  assert.ok(afterExpiry(out, /^equity [0-9.]+ seq \d+/m), `after the expiry, a fresh balance:\n${out}`);
  assert.doesNotMatch(out, /refused|Traceback/, out);
});
