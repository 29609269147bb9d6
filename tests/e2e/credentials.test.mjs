// The credentials store end to end: a user gets exactly the accounts the file lists (the first is the
// default, others by label), a user it does not list gets no_account, and a file others may read
// keeps the daemon from starting.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, SECRET, TRADING_TYPES, mintJwt, startDaemon, stopChecked, subscribeTrading } from './daemon.mjs';

let dir;
let creds;
let d;

// The scripted feed serves "bybit": the accounts live there.
const STORE = `[[users.alice]]
label = "main"
exchange = "bybit"
network = "testnet"
api_key = "KEY-main"
api_secret = "secret-main-never-logged"

[[users.alice]]
label = "second"
exchange = "bybit"
network = "demo"
api_key = "KEY-second"
api_secret = "secret-second-never-logged"
`;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-creds-'));
  creds = path.join(dir, 'credentials.toml');
  fs.writeFileSync(creds, STORE, { mode: 0o600 });
  d = await startDaemon({ credentials: { file: creds }, log: { level: 'debug' } });
});

after(async () => {
  if (d) await stopChecked(d);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a listed user gets the default account, and another one by label', async () => {
  assert.match(d.log(), /credentials: 1 user\(s\), 2 account\(s\)/);
  const a = await Client.connect(d, 'alice');
  const { snaps } = await subscribeTrading(a);
  for (const t of TRADING_TYPES) assert.equal(snaps[t].account, 'main');
  const mark = a.mark();
  const { ack } = await a.request('subscribe_trading', { types: ['balance'], account: 'second' });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  await a.waitEvents(mark, ['balance'], 2000);
  assert.equal(a.since(mark, 'balance')[0].args[0].account, 'second');
  const { ack: unknown } = await a.request('subscribe_trading', { types: ['balance'], account: 'third' });
  assert.equal(unknown.ok, false);
  assert.equal(unknown.error.code, 'unknown_account');
  a.close();
  assert.doesNotMatch(d.log(), /never-logged/, 'no secret in the log');
});

test('a user the store does not list gets no_account', async () => {
  const b = await Client.connect(d, 'bob');
  const { ack } = await b.request('subscribe_trading', { types: TRADING_TYPES });
  assert.equal(ack.ok, false);
  assert.equal(ack.error.code, 'no_account');
  b.close();
});

test('SIGHUP reloads the store: a user added to the file can subscribe without a restart', async () => {
  fs.writeFileSync(creds, STORE + STORE.replace(/users\.alice/g, 'users.bob'), { mode: 0o600 });
  d.proc.kill('SIGHUP');
  const deadline = Date.now() + 10000;
  while (!/SIGHUP: config reloaded \(log level debug, 1 auth key\(s\), 2 user\(s\)/.test(d.log()) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(d.log(), /SIGHUP: config reloaded \(log level debug, 1 auth key\(s\), 2 user\(s\)/);
  const b = await Client.connect(d, 'bob');
  const { snaps } = await subscribeTrading(b);
  for (const t of TRADING_TYPES) assert.equal(snaps[t].account, 'main');
  b.close();

  // A store that became readable by others is refused: the loaded one stays.
  fs.chmodSync(creds, 0o644);
  d.proc.kill('SIGHUP');
  const until = Date.now() + 10000;
  while (!/SIGHUP: .* refused, the running config stays: .*chmod 600/.test(d.log()) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(d.log(), /SIGHUP: .* refused, the running config stays: .*chmod 600/);
  fs.chmodSync(creds, 0o600);
  const b2 = await Client.connect(d, 'bob');
  await subscribeTrading(b2);
  b2.close();
  assert.doesNotMatch(d.log(), /never-logged/, 'no secret in the log');
});

// Sends SIGHUP and waits for `re` in what the daemon logs after it (earlier reloads log alike).
async function hup(re, what) {
  const mark = d.log().length;
  const since = () => { const l = d.log(); return l.length >= mark ? l.slice(mark) : l; };
  d.proc.kill('SIGHUP');
  const deadline = Date.now() + 10000;
  while (!re.test(since()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.match(since(), re, what);
}

test('SIGHUP rotates the auth keys: new handshakes use the new key, connected clients stay, a bad key changes nothing', async () => {
  const original = fs.readFileSync(d.cfgPath, 'utf8');
  const NEW = 'rotated-secret-rotated-secret-0123456789';
  const stay = await Client.connect(d, 'alice');
  const { snaps } = await subscribeTrading(stay);
  assert.ok(snaps.balance);

  // Both keys during the rotation (kid selects; a token without kid tries every key).
  fs.writeFileSync(d.cfgPath, original.replace(/\[\[auth\.keys\]\][^[]*/, `[[auth.keys]]\nkid = "old"\nalg = "HS256"\nsecret = ${JSON.stringify(SECRET)}\n\n[[auth.keys]]\nkid = "new"\nalg = "HS256"\nsecret = ${JSON.stringify(NEW)}\n\n`));
  await hup(/SIGHUP: config reloaded \(log level debug, 2 auth key\(s\)/, 'two keys after the first reload');
  const viaNew = await Client.connect(d, 'alice', { token: mintJwt('alice', { kid: 'new', secret: NEW }) });
  const viaOld = await Client.connect(d, 'alice', { token: mintJwt('alice', { kid: 'old' }) });
  viaNew.close();
  viaOld.close();

  // Only the new key: the old one is refused from now on, the connected client keeps its stream.
  fs.writeFileSync(d.cfgPath, original.replace(/\[\[auth\.keys\]\][^[]*/, `[[auth.keys]]\nkid = "new"\nalg = "HS256"\nsecret = ${JSON.stringify(NEW)}\n\n`));
  await hup(/SIGHUP: config reloaded \(log level debug, 1 auth key\(s\)/, 'one key after the second reload');
  await assert.rejects(Client.connect(d, 'alice'), (err) => err.data?.code === 'bad_signature' || err.data?.code === 'unknown_kid',
    'a token signed with the retired key is refused');
  const fresh = await Client.connect(d, 'alice', { token: mintJwt('alice', { kid: 'new', secret: NEW }) });
  fresh.close();
  assert.equal(stay.socket.connected, true, 'a client connected before the rotation stays');

  // A key too short for HS256 refuses the whole reload: the new key keeps working.
  fs.writeFileSync(d.cfgPath, original.replace(/\[\[auth\.keys\]\][^[]*/, '[[auth.keys]]\nalg = "HS256"\nsecret = "short"\n\n'));
  await hup(/SIGHUP: .* refused, the running config stays: .*(32|secret)/, 'a short secret is refused');
  const still = await Client.connect(d, 'alice', { token: mintJwt('alice', { kid: 'new', secret: NEW }) });
  still.close();

  fs.writeFileSync(d.cfgPath, original);
  await hup(/SIGHUP: config reloaded \(log level debug, 1 auth key\(s\), 2 user/, 'the original config again');
  const back = await Client.connect(d, 'alice');
  back.close();
  stay.close();
  assert.doesNotMatch(d.log(), new RegExp(NEW), 'no secret in the log');
});

test('a credentials file others may read keeps the daemon from starting', () => {
  const open = path.join(dir, 'open.toml');
  fs.writeFileSync(open, STORE, { mode: 0o644 });
  fs.chmodSync(open, 0o644);
  const cfg = path.join(dir, 'cfg.toml');
  fs.writeFileSync(cfg, `[credentials]\nfile = "open.toml"\n[[auth.keys]]\nalg = "HS256"\nsecret = "test-secret-test-secret-test-secret-0123"\n`);
  const r = spawnSync(process.env.TRADEPUSH_DAEMON, ['--config', cfg, '--check-config'], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /credentials\.file: .*open\.toml: credentials file has mode 0644.*chmod 600/);
  assert.doesNotMatch(r.stderr, /never-logged/);
});
