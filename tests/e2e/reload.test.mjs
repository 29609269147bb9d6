// Plugin hot reload under load (DESIGN §4.8, §6): 200 clients on account streams and tickers served by
// the example plugin; the plugin is reloaded 20 times (SIGUSR1) while other clients keep connecting,
// subscribing and leaving. Every steady client gets exactly one fresh snapshot of each of its streams
// per reload, churning clients always get their snapshots, a refused reload leaves the old image
// serving, old images really unmap, and everything returns to baseline.
//
// Needs TRADEPUSH_E2E_PLUGIN (the example plugin) and TRADEPUSH_E2E_EXCHANGE=example.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, TRADING_TYPES, sleep, startDaemon, stopChecked, subscribeTrading, waitFor } from './daemon.mjs';

const USERS = 100;          // two devices each: 200 steady clients
const RELOADS = 20;
const SYMBOLS = ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'];
const CHURNERS = 4;         // concurrent connect/subscribe/leave loops during the reloads
const SANITIZED = Boolean(process.env.TRADEPUSH_SANITIZE);
const STREAMS = [...TRADING_TYPES, 'ticker'];

const source = process.env.TRADEPUSH_E2E_PLUGIN;
let dir;
let pluginFile;
let d;
const steady = [];

before(async () => {
  assert.ok(source, 'TRADEPUSH_E2E_PLUGIN must name the example plugin');
  // The daemon loads (and reloads) a copy this test may break and repair; the build's file stays intact.
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-reload-'));
  pluginFile = path.join(dir, path.basename(source));
  fs.copyFileSync(source, pluginFile);
  process.env.TRADEPUSH_E2E_PLUGIN = pluginFile;
  // No periodic ticks: after the first snapshots, every push a steady client gets is a reload's.
  d = await startDaemon({ feed: { tick_interval_ms: 0, snapshot_delay_ms: 0 }, limits: { max_connections_per_user: 32 } });
});

after(async () => {
  for (const c of steady) c.close();
  if (d) await stopChecked(d);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** Distinct mapped files of the daemon that are private plugin image copies. */
function mappedImages() {
  const maps = fs.readFileSync(`/proc/${d.proc.pid}/maps`, 'utf8');
  const files = new Set();
  for (const line of maps.split('\n')) {
    const m = /\s(\/\S*tradepushd-plugins-\S+\.so)/.exec(line);
    if (m) files.add(m[1]);
  }
  return [...files];
}

function count(c, stream) { return c.pushes(stream).length; }

async function reloadAndWait(n, what) {
  d.proc.kill('SIGUSR1');
  return d.waitStats((s) => s.plugins?.reloads === n, 20000, `${what}: reload ${n} done`);
}

/** One churning client: connect, subscribe, check its snapshots, leave. Returns an error string or null. */
async function churnOnce(i) {
  const c = await Client.connect(d, `churn${i % 10}`);
  try {
    await subscribeTrading(c, TRADING_TYPES, SANITIZED ? 5000 : 2000);
    const mark = c.mark();
    const { ack } = await c.request('subscribe_ticker', { symbols: [SYMBOLS[i % SYMBOLS.length]], exchange: 'example', category: 'linear' });
    if (ack?.ok !== true) return `ticker refused: ${JSON.stringify(ack)}`;
    await waitFor(() => c.since(mark, 'ticker').length > 0, 5000, `churn ${i}: ticker snapshot`);
    return null;
  } catch (err) {
    return String(err.message ?? err);
  } finally {
    c.close();
  }
}

test('200 clients keep their streams through 20 reloads under churn', { timeout: 400000 }, async () => {
  for (let u = 0; u < USERS; u++) {
    for (let dev = 0; dev < 2; dev++) steady.push(new Client(d, `r${u}`));
  }
  await Promise.all(steady.map((c) => c.connected(15000)));
  await Promise.all(steady.map(async (c, i) => {
    await subscribeTrading(c, TRADING_TYPES, 5000);
    const { ack } = await c.request('subscribe_ticker', { symbols: [SYMBOLS[i % SYMBOLS.length]], exchange: 'example', category: 'linear' });
    assert.equal(ack?.ok, true, `subscribe_ticker: ${JSON.stringify(ack)}`);
  }));
  await waitFor(() => steady.every((c) => STREAMS.every((s) => count(c, s) >= 1)), 10000, 'first snapshots');
  const s0 = await d.stats();
  assert.equal(s0.plugins.loaded[0].accounts, USERS, 'one live account session per user');
  assert.equal(s0.plugins.loaded[0].tickers, SYMBOLS.length, 'one ticker subscription per symbol');
  assert.equal(mappedImages().length, 1, `one image mapped: ${mappedImages()}`);

  // Churn runs across every reload.
  let churning = true;
  let churned = 0;
  const churnErrors = [];
  const churners = Array.from({ length: CHURNERS }, async (_, w) => {
    for (let i = w; churning; i += CHURNERS) {
      const err = await churnOnce(i);
      if (err) churnErrors.push(err);
      churned++;
    }
  });

  let rssAfterFirst = 0;
  try {
    for (let n = 1; n <= RELOADS; n++) {
      const s = await reloadAndWait(n, 'steady');
      if (n === 1) rssAfterFirst = s.rss_bytes;
      // Exactly one fresh snapshot per stream per reload, for every steady client.
      await waitFor(() => steady.every((c) => STREAMS.every((st) => count(c, st) >= n + 1)), SANITIZED ? 30000 : 10000,
        `reload ${n}: every client gets fresh snapshots (behind: ${steady.filter((c) => STREAMS.some((st) => count(c, st) < n + 1)).length})`);
      assert.equal(s.plugins.resident_after_unload, 0, `reload ${n}: old image unmapped`);
    }
  } finally {
    churning = false;
    await Promise.all(churners);
  }
  assert.deepEqual(churnErrors, [], `${churnErrors.length} of ${churned} churning clients failed`);
  assert.ok(churned >= RELOADS, `churn ran (${churned} clients)`);

  await sleep(200);
  for (const c of steady) {
    for (const st of STREAMS) {
      assert.equal(count(c, st), RELOADS + 1, `${c.user} ${st}: one snapshot at subscribe and one per reload`);
    }
    for (const st of TRADING_TYPES) {
      const seqs = c.pushes(st).map((p) => p.payload.seq);
      assert.deepEqual(seqs, seqs.map((_, i) => seqs[0] + i), `${c.user} ${st}: seq continues across reloads`);
    }
  }

  const s = await d.stats();
  assert.equal(s.plugins.reloads, RELOADS);
  assert.equal(s.plugins.reload_failures, 0);
  assert.equal(s.plugins.resident_after_unload, 0);
  assert.deepEqual(mappedImages().length, 1, `exactly one plugin image mapped after ${RELOADS} reloads: ${mappedImages()}`);
  const m = await d.metrics();
  assert.equal(m.tradepushd_plugin_reloads_total, RELOADS);
  assert.equal(m.tradepushd_plugin_resident_after_unload_total, 0);
  assert.equal(m['tradepushd_subscriptions{type="ticker"}'], USERS * 2);
  assert.equal(m['tradepushd_subscriptions{type="balance"}'], USERS * 2);
  if (!SANITIZED) {
    const growth = s.rss_bytes - rssAfterFirst;
    assert.ok(growth < 32 * 1024 * 1024, `RSS grew ${(growth / 1048576).toFixed(1)} MiB over ${RELOADS - 1} reloads`);
  }
});

test('a refused reload leaves the loaded plugin serving; a repaired file reloads', { timeout: 120000 }, async () => {
  const before = await d.stats();
  const image = before.plugins.loaded[0].image;
  fs.writeFileSync(pluginFile, 'not a shared object\n');
  d.proc.kill('SIGUSR1');
  const s = await d.waitStats((x) => x.plugins.reload_failures === 1, 20000, 'refused reload counted');
  assert.equal(s.plugins.reloads, before.plugins.reloads);
  assert.equal(s.plugins.loaded[0].image, image, 'the same image keeps serving');
  assert.match(d.log(), /reload example refused, 1\.0\.0 keeps serving: .*libtradepush-example\.so/);
  // Still serving: a new client gets its snapshots.
  const c = await Client.connect(d, 'after-refusal');
  await subscribeTrading(c, TRADING_TYPES, SANITIZED ? 5000 : 2000);
  c.close();

  fs.copyFileSync(source, pluginFile);
  await reloadAndWait(before.plugins.reloads + 1, 'repaired');
  const mark = steady[0].mark();
  await waitFor(() => STREAMS.every((st) => steady[0].since(mark, st).length > 0 || count(steady[0], st) >= RELOADS + 2), 10000,
    'fresh snapshots after the repaired reload');
});

test('everything returns to baseline once the clients leave', { timeout: 60000 }, async () => {
  for (const c of steady) c.close();
  await d.waitIdle(30000);
  const s = await d.stats();
  assert.equal(s.plugins.loaded[0].accounts, 0, 'no live account session left to replay');
  assert.equal(s.plugins.loaded[0].tickers, 0, 'no ticker subscription left to replay');
  assert.equal(mappedImages().length, 1);
});
