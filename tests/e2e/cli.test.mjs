// The tradepushd command line: --check-config answers valid/invalid with file:line, a bad config or
// a taken port never leaves a half-started daemon, SIGTERM exits cleanly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HERE, startDaemon } from './daemon.mjs';

const bin = () => process.env.TRADEPUSH_DAEMON;
const etc = path.join(HERE, '..', '..', 'etc', 'tradepushd.toml');
let dir;
before(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-cli-')); });
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(args, timeout = 10000) {
  return spawnSync(bin(), args, { encoding: 'utf8', timeout });
}

function writeConfig(name, text) {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}

const KEY = '[[auth.keys]]\nalg = "HS256"\nsecret = "test-secret-test-secret-test-secret-0123"\n';

test('--check-config accepts the shipped config', () => {
  const r = run(['--config', etc, '--check-config']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /: ok$/m);
});

test('--check-config refuses a typo with file:line:col and exit 1', () => {
  const p = writeConfig('typo.toml', `[server]\nworkerz = 2\n${KEY}`);
  const r = run(['--config', p, '--check-config']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:\\d+: .*workerz`));
});

test('a bad config never starts the daemon (exit 1, nothing listening)', () => {
  const p = writeConfig('bad.toml', `[server]\nlisten = ["127.0.0.1:0"]\nping_interval_ms = "soon"\n${KEY}`);
  const r = run(['--config', p]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /bad\.toml:3:\d+: server\.ping_interval_ms/);
  assert.doesNotMatch(r.stdout + r.stderr, /listening on/);
});

test('a missing config file is named in the error', () => {
  const r = run(['--config', path.join(dir, 'nope.toml'), '--check-config']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /nope\.toml/);
});

test('unknown arguments are a usage error (exit 2)', () => {
  const r = run(['--frobnicate']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: tradepushd/);
});

test('a port already in use: exit 3 naming the address and the reason', async () => {
  // A plain listener (no SO_REUSEPORT) holds the port, so tradepushd's bind must fail.
  const holder = net.createServer();
  await new Promise((resolve) => holder.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = holder.address();
    const p = writeConfig('taken.toml', `[server]\nlisten = ["127.0.0.1:${port}"]\n${KEY}`);
    const r = run(['--config', p]);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, new RegExp(`cannot start: listen 127\\.0\\.0\\.1:${port}: Address already in use`));
  } finally {
    holder.close();
  }
});

test('SIGTERM: the daemon closes its clients and exits 0', async () => {
  const d = await startDaemon();
  const { code, signal } = await d.stop();
  assert.equal(signal, null);
  assert.equal(code, 0, d.log());
});
