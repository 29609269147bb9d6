// DESIGN §1 end to end: an app is killed (no disconnect packet) and restarted 50 times; every new
// process must get all four snapshots within 1 s of its subscribe ack although the data never
// changes (tick_interval_ms = 0: the original bug skipped "unchanged" data forever). Afterwards the
// daemon must be back at its idle baseline (§4.3). Also §4.4: resubscribe on the same connection.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import {
  Client, EXCHANGE, HERE, TRADING_TYPES, checkEnvelope, isIdle, mintJwt, spawnTied, startDaemon, subscribeTrading, withTimeout, stopChecked } from './daemon.mjs';

const ITERATIONS = 50;
const RSS_SLACK = 64 * 1024 * 1024;
const USER = '4';
// The data must not change between reconnects (the original bug: unchanged data was never pushed
// again), so the feed never ticks.
const TICK_NEVER = 0;

let d;
before(async () => {
  d = await startDaemon({
    server: { ping_interval_ms: 1000, ping_timeout_ms: 1000 },
    feed: { tick_interval_ms: TICK_NEVER },
  });
});
after(async () => {
  if (!d) return;
  await stopChecked(d);
});

/** Starts a client_child.mjs process; resolves with {proc, result} once it printed its JSON line. */
async function runChild(transports, mode = '') {
  const proc = spawnTied([process.execPath, path.join(HERE, 'client_child.mjs'), d.url, mintJwt(USER), transports.join(','), mode],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (x) => { err += x; });
  const line = new Promise((resolve, reject) => {
    proc.stdout.on('data', (x) => {
      out += x;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    proc.on('exit', (code) => reject(new Error(`client process exited (${code}) before reporting: ${out}${err}`)));
  });
  const result = JSON.parse(await withTimeout(line, 15000, 'client process report'));
  return { proc, result };
}

async function kill(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGKILL');
  await withTimeout(exited, 5000, 'client process exit after SIGKILL');
}

async function reconnectLoop(transports, label, iterations = ITERATIONS) {
  const base = await d.waitIdle(15000);
  const resets0 = base.hub.resets;
  let firstData = null;
  let prev = null;
  let worstLateness = -Infinity;
  let waitedIterations = 0;
  const transportsSeen = {};
  const t0 = Date.now();
  try {
    for (let i = 0; i <= iterations; i++) {
      // Odd iterations wait until the daemon noticed the killed app (so a fresh exchange session is
      // provably created); even ones reconnect at once, racing the cleanup of the dead session.
      const waitGone = i > 0 && i % 2 === 1;
      if (prev) {
        await kill(prev);
        if (waitGone) {
          await d.waitStats((s) => s.hub.connections === 0 && s.hub.open_accounts === 0, 10000,
            `${label} #${i}: the killed client's session is released`);
        }
      }
      const resetsBefore = (await d.stats()).hub.resets;
      const tChild = Date.now();
      const { proc, result } = await runChild(transports, transports.includes('websocket') && i % 4 === 3 ? 'upgrade' : '');
      if (process.env.E2E_VERBOSE) console.log(`${label} #${i}: child reported after ${Date.now() - tChild} ms`);
      prev = proc;
      assert.ok(result.ok, `${label} #${i}: ${result.error}`);
      for (const t of TRADING_TYPES) checkEnvelope({ exchange: EXCHANGE, account: 'main', seq: result.seq[t], ts: 0, data: result.data[t] }, `${label} #${i} ${t}`);
      worstLateness = Math.max(worstLateness, ...Object.values(result.lateness));
      transportsSeen[result.transport] = (transportsSeen[result.transport] ?? 0) + 1;
      // tick 0: the exchange data is the same every time; that is the point of the test.
      if (firstData === null) firstData = result.data;
      else assert.deepEqual(result.data, firstData, `${label} #${i}: scripted data changed although tick_interval_ms = 0`);
      if (waitGone) {
        waitedIterations++;
        const s = await d.stats();
        assert.ok(s.hub.resets > resetsBefore,
          `${label} #${i}: no reset_user although the user had no connection left (resets ${resetsBefore} -> ${s.hub.resets})`);
      }
    }
  } finally {
    if (prev) await kill(prev);
  }
  const loopMs = Date.now() - t0;
  const idle = await d.waitIdle(15000);
  const resets = idle.hub.resets - resets0;
  console.log(`[${label}] ${iterations} kill/reconnect cycles in ${loopMs} ms; worst snapshot lateness ${worstLateness} ms after ack; ` +
    `transports at report ${JSON.stringify(transportsSeen)}; resets +${resets}; ` +
    `rss ${(base.rss_bytes / 1048576).toFixed(1)} MiB -> ${(idle.rss_bytes / 1048576).toFixed(1)} MiB; idle stats ${JSON.stringify(idle)}`);
  assert.ok(isIdle(idle));
  assert.ok(resets >= waitedIterations, `${label}: resets +${resets} < ${waitedIterations} sessions started with no device left`);
  assert.ok(idle.rss_bytes < base.rss_bytes + RSS_SLACK,
    `${label}: rss grew from ${base.rss_bytes} to ${idle.rss_bytes} bytes (bound +${RSS_SLACK})`);
}

test('config accepts tick_interval_ms = 0 (the feed never ticks)', async () => {
  let d0;
  try {
    d0 = await startDaemon({ feed: { tick_interval_ms: 0 } });
  } catch (e) {
    assert.fail(`tradepushd refused tick_interval_ms = 0: ${e.message.split('\n').slice(0, 3).join(' ')}`);
  }
  await d0.stop();
});

describe('DESIGN §1: app killed and restarted, 50 times', () => {
  test('socket.io-client, websocket', { timeout: 300000 }, async () => {
    await reconnectLoop(['websocket'], 'websocket');
  });

  test('socket.io-client, polling with upgrade', { timeout: 300000 }, async () => {
    await reconnectLoop(['polling', 'websocket'], 'polling+upgrade');
  });

  // The client above has upgraded by the time it is killed; this one dies with a parked GET.
  test('socket.io-client, polling only (killed while long-polling)', { timeout: 300000 }, async () => {
    await reconnectLoop(['polling'], 'polling');
  });
});

describe('DESIGN §4.5: killed while its snapshots are in flight (snapshot_delay_ms = 300)', () => {
  test('20 times: the next app still gets all four snapshots within 1 s of its ack', { timeout: 300000 }, async () => {
    const slow = await startDaemon({ feed: { tick_interval_ms: TICK_NEVER, snapshot_delay_ms: 300 } });
    const saved = d;
    d = slow; // runChild/kill use the file's daemon
    try {
      const base = await slow.waitIdle(10000);
      let firstData = null;
      for (let i = 0; i < 20; i++) {
        // The doomed app subscribes and dies before the exchange answered.
        const doomed = await runChild(['websocket'], 'ack');
        assert.ok(doomed.result.ok, `#${i} doomed app: ${doomed.result.error}`);
        await kill(doomed.proc);
        // Alternate: reconnect at once (old fetch still pending), or after the old session is gone.
        if (i % 2) await slow.waitStats((s) => s.hub.connections === 0, 10000, `#${i}: killed app noticed`);
        const next = await runChild(['websocket']);
        assert.ok(next.result.ok, `#${i} next app: ${next.result.error}`);
        if (firstData === null) firstData = next.result.data;
        else assert.deepEqual(next.result.data, firstData, `#${i}: data differs`);
        await kill(next.proc);
      }
      const idle = await slow.waitIdle(15000);
      console.log(`[in-flight] 20 kills during a pending snapshot: resets +${idle.hub.resets - base.hub.resets}, ` +
        `stale_epoch_drops ${idle.hub.stale_epoch_drops}, rss ${(idle.rss_bytes / 1048576).toFixed(1)} MiB`);
      assert.ok(slow.alive());
    } finally {
      d = saved;
      await slow.stop();
    }
  });
});

describe('DESIGN §4.4: resubscribe on the same connection', () => {
  test('subscribe_trading again gives fresh snapshots of every type, with reset_user when alone', { timeout: 60000 }, async () => {
    await d.waitIdle(15000);
    const c = await Client.connect(d, USER);
    try {
      const first = await subscribeTrading(c);
      for (let round = 1; round <= 5; round++) {
        const r0 = (await d.stats()).hub.resets;
        const again = await subscribeTrading(c);
        const r1 = (await d.stats()).hub.resets;
        for (const t of TRADING_TYPES) {
          checkEnvelope(again.snaps[t], `round ${round} ${t}`);
          assert.deepEqual(again.snaps[t].data, first.snaps[t].data, `round ${round} ${t}: tick 0 data differs`);
        }
        assert.ok(r1 > r0, `round ${round}: resubscribe of the only device did not call reset_user (resets ${r0} -> ${r1})`);
      }
      // A subset resubscribe: only the named types, all of them fresh again.
      const sub = await subscribeTrading(c, ['balance', 'orders']);
      assert.deepEqual(Object.keys(sub.snaps).sort(), ['balance', 'orders']);
      // The other types are no longer subscribed: a full resubscribe still brings all four.
      await subscribeTrading(c);
    } finally {
      c.close();
    }
    await d.waitIdle(10000);
  });

  test('a second device resubscribing does not reset the user', { timeout: 60000 }, async () => {
    await d.waitIdle(15000);
    const a = await Client.connect(d, USER);
    const b = await Client.connect(d, USER);
    try {
      await subscribeTrading(a);
      await subscribeTrading(b);
      const r0 = (await d.stats()).hub.resets;
      const again = await subscribeTrading(b);
      const r1 = (await d.stats()).hub.resets;
      for (const t of TRADING_TYPES) checkEnvelope(again.snaps[t], t);
      assert.equal(r1, r0, 'resubscribe while another device holds the trading streams must not reset the user');
    } finally {
      a.close();
      b.close();
    }
    await d.waitIdle(10000);
  });
});
