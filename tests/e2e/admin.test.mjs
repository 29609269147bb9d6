// The admin socket wired into tradepushd, driven by the real tradepushctl: status, stats, plugins
// list and reload, user flush (a connected client gets fresh snapshots), log level, config check and
// reload, credentials reload, and the CLI's exit codes. Runs with the example plugin loaded
// (TRADEPUSH_E2E_PLUGIN), so plugin commands have something to act on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, TRADING_TYPES, startDaemon, stopChecked, subscribeTrading, waitFor } from './daemon.mjs';

const ctlBin = process.env.TRADEPUSH_CTL;
let dir;
let sock;
let d;

before(async () => {
  assert.ok(ctlBin, 'TRADEPUSH_CTL must point at tradepushctl');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-admin-'));
  sock = path.join(dir, 'admin.sock');
  // No periodic ticks: every push after the first snapshots is caused by a command.
  d = await startDaemon({ feed: { tick_interval_ms: 0 }, admin: { socket: sock } });
});

after(async () => {
  if (d) await stopChecked(d);
  fs.rmSync(dir, { recursive: true, force: true });
});

function ctl(...args) {
  const r = spawnSync(ctlBin, ['--socket', sock, ...args], { encoding: 'utf8', timeout: 70000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ctlJson(...args) {
  const r = ctl('--json', ...args);
  assert.equal(r.code, 0, `tradepushctl ${args.join(' ')}: ${r.err}${r.out}`);
  const reply = JSON.parse(r.out);
  assert.equal(reply.ok, true, r.out);
  return reply.result;
}

test('the socket is there, with mode 0660, and status answers', async () => {
  // The socket opens after the listeners (whose log line startDaemon waited for).
  await waitFor(() => /admin socket on .*admin\.sock/.test(d.log()), 5000, 'admin socket log line');
  assert.equal(fs.statSync(sock).mode & 0o777, 0o660);
  const s = ctlJson('status');
  assert.equal(s.state, 'running');
  assert.equal(s.workers, 2);
  assert.deepEqual(s.plugins.map((p) => p.name), ['example']);
  const table = ctl('status');
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /state\s*:?\s+running/);
});

test('stats and plugins list', () => {
  const s = ctlJson('stats');
  assert.equal(typeof s.hub.connections, 'number');
  assert.equal(typeof s.rss_bytes, 'number');
  const list = ctlJson('plugins', 'list');
  assert.equal(list.length, 1);
  assert.equal(list[0].name, 'example');
});

test('user flush gives a connected client fresh snapshots of every stream', async () => {
  const c = await Client.connect(d, 'flushme');
  await subscribeTrading(c);
  const before = TRADING_TYPES.map((t) => c.pushes(t).length);
  const r = ctlJson('user', 'flush', 'flushme');
  assert.equal(r.flushed, true);
  await waitFor(() => TRADING_TYPES.every((t, i) => c.pushes(t).length > before[i]), 5000, 'fresh snapshots after user flush');
  assert.match(d.log(), /admin.*user flush/, 'the operate command is audit-logged');
  const missing = ctl('user', 'flush', 'nobody-here');
  assert.equal(missing.code, 1, missing.out + missing.err);
  c.close();
});

test('plugins reload keeps the client streaming and reports the swap', async () => {
  const c = await Client.connect(d, 'reloader');
  await subscribeTrading(c);
  const before = TRADING_TYPES.map((t) => c.pushes(t).length);
  const r = ctlJson('plugins', 'reload', 'example');
  assert.equal(r[0].name, 'example');
  assert.equal(r[0].old_image_unmapped, true);
  await waitFor(() => TRADING_TYPES.every((t, i) => c.pushes(t).length > before[i]), 5000, 'fresh snapshots after plugins reload');
  const unknown = ctl('plugins', 'reload', 'nope');
  assert.equal(unknown.code, 1);
  assert.match(unknown.out + unknown.err, /no such plugin/);
  c.close();
});

test('log level, config check, config reload, credentials reload', () => {
  assert.equal(ctlJson('log', 'level').level, 'info');
  assert.equal(ctlJson('log', 'level', 'debug').level, 'debug');
  const bad = ctl('log', 'level', 'loud');
  assert.equal(bad.code, 1);
  assert.equal(ctlJson('config', 'check').valid, true);
  assert.match(ctlJson('config', 'reload').reloaded, /log level info/);
  const creds = ctl('credentials', 'reload');
  assert.equal(creds.code, 1);
  assert.match(creds.out + creds.err, /no \[credentials\] file/);
});

test('exit codes: unknown command 1, usage 2, no daemon 3', () => {
  assert.equal(ctl('no', 'such', 'command').code, 1);
  assert.equal(spawnSync(ctlBin, ['--bogus-flag'], { encoding: 'utf8' }).status, 2);
  const none = spawnSync(ctlBin, ['--socket', path.join(dir, 'missing.sock'), 'status'], { encoding: 'utf8' });
  assert.equal(none.status, 3);
});
