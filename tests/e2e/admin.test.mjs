// The admin socket wired into tradepushd, driven by the real tradepushctl: status, stats, plugins
// list and reload, user flush (a connected client gets fresh snapshots), log level, config check and
// reload, config show (secrets redacted), credentials reload, and the CLI's exit codes. Runs with the example plugin loaded
// (TRADEPUSH_E2E_PLUGIN), so plugin commands have something to act on.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminCli, Client, EXCHANGE, SECRET, TRADING_TYPES, startDaemon, stopChecked, subscribeTrading, waitFor } from './daemon.mjs';

let dir;
let sock;
let d;

before(async () => {
  assert.ok(process.env.TRADEPUSH_CTL, 'TRADEPUSH_CTL must point at tradepushctl');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-admin-'));
  sock = path.join(dir, 'admin.sock');
  // No periodic ticks: every push after the first snapshots is caused by a command.
  d = await startDaemon({ feed: { tick_interval_ms: 0 }, admin: { socket: sock } });
});

after(async () => {
  if (d) await stopChecked(d);
  fs.rmSync(dir, { recursive: true, force: true });
});

const { ctl, ctlJson } = adminCli(() => sock, 70000);

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

test('user flush --exchange: fresh snapshots for that exchange only; an unknown exchange fails', async (t) => {
  if (!process.env.TRADEPUSH_E2E_PLUGIN) return t.skip('needs TRADEPUSH_E2E_PLUGIN (a second provider)');
  // dora has one account on the plugin's exchange and one on the scripted feed's 'bybit': two
  // providers, so flushing one must leave the other's session and streams alone.
  const own = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-flushx-'));
  const creds = path.join(own, 'credentials.toml');
  fs.writeFileSync(creds, `[[users.dora]]\nlabel = "px"\nexchange = "${EXCHANGE}"\nnetwork = "testnet"\n` +
    'api_key = "K1"\napi_secret = "S1-never-logged"\n\n[[users.dora]]\nlabel = "sc"\nexchange = "bybit"\n' +
    'network = "testnet"\napi_key = "K2"\napi_secret = "S2-never-logged"\n', { mode: 0o600 });
  const own_sock = path.join(own, 'admin.sock');
  const d2 = await startDaemon({ feed: { tick_interval_ms: 0 }, admin: { socket: own_sock }, credentials: { file: creds } });
  const at = adminCli(() => own_sock, 20000).ctl;
  try {
    await waitFor(() => fs.existsSync(own_sock), 5000, 'admin socket');
    const subscribe = async (c, account) => {
      const mark = c.mark();
      const { ack } = await c.request('subscribe_trading', { types: TRADING_TYPES, account });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      await c.waitEvents(mark, TRADING_TYPES, 5000);
    };
    const px = await Client.connect(d2, 'dora');
    const sc = await Client.connect(d2, 'dora');
    await subscribe(px, 'px');
    await subscribe(sc, 'sc');

    const flush = async (exchange, fresh, quiet) => {
      const mFresh = fresh.mark();
      const mQuiet = quiet.mark();
      const r = at('--json', 'user', 'flush', 'dora', '--exchange', exchange);
      assert.equal(r.code, 0, r.out + r.err);
      const res = JSON.parse(r.out).result;
      assert.equal(res.exchange, exchange);
      assert.equal(res.accounts, 1);
      await fresh.waitEvents(mFresh, TRADING_TYPES, 5000, `fresh snapshots on ${exchange}`);
      // No ticks run (tick_interval 0): anything the other connection got came from the flush.
      await new Promise((res) => setTimeout(res, 500));
      for (const ty of TRADING_TYPES) assert.equal(quiet.since(mQuiet, ty).length, 0, `${ty} pushed on the other exchange`);
    };
    await flush(EXCHANGE, px, sc);
    await flush('bybit', sc, px);

    const unknown = at('user', 'flush', 'dora', '--exchange', 'nowhere');
    assert.equal(unknown.code, 1, unknown.out + unknown.err);
    assert.match(unknown.err, /no exchange 'nowhere' is served/);
    px.close();
    sc.close();
  } finally {
    await stopChecked(d2);
    fs.rmSync(own, { recursive: true, force: true });
  }
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

test('config show: the running config, the HS256 secret never in it', () => {
  const json = ctl('--json', 'config', 'show');
  assert.equal(json.code, 0, json.err);
  const human = ctl('config', 'show');
  assert.equal(human.code, 0, human.err);
  for (const out of [json.out, human.out]) {
    assert.ok(!out.includes(SECRET), `the auth secret leaked:\n${out}`);
    assert.ok(!out.includes(SECRET.slice(0, 12)), 'not even a prefix of the secret');
  }
  const c = JSON.parse(json.out).result;
  assert.equal(c.auth.keys[0].alg, 'HS256');
  assert.equal(c.auth.keys[0].secret, '***');
  assert.equal(c.admin.socket, sock);
  assert.equal(c.server.workers, 2);
  assert.equal(c.feed.tick_interval_ms, 0);
  assert.equal(c.credentials.file, '');
  if (process.env.TRADEPUSH_E2E_PLUGIN) assert.equal(c.plugins.load[0].config.tick_ms, 0);
  assert.match(human.out, /HS256/);
  assert.match(human.out, new RegExp(sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
});

test('exit codes: unknown command 1, usage 2, no daemon 3', () => {
  assert.equal(ctl('no', 'such', 'command').code, 1);
  assert.equal(ctl('--bogus-flag').code, 2);
  assert.equal(adminCli(() => path.join(dir, 'missing.sock')).ctl('status').code, 3);
});
