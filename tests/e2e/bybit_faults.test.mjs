// Upstream faults on the real Bybit path (tradepushd + libtradepush-bybit.so + tools/bybit-sim on
// 127.0.0.1): each one is visible to the subscribed client (stream_status with a code, never silence)
// and recovers where recovery is possible.
//  - server clock skew of +30 s and -30 s: the plugin re-syncs and data keeps flowing;
//  - a 10006 storm: rate_limited (stale), then live and data;
//  - the private WebSocket dropped (TCP RST and clean close) or silent (no pongs): upstream_reconnecting,
//    a new private auth, then live and fresh data; the public one dropped: the ticker likewise;
//  - a bad API key (unknown key, wrong secret, key deleted under a live session): exchange_auth_failed
//    error on every subscribed stream, with no secret in what the client sees.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, TRADING_TYPES, sleep, subscribeTrading, waitFor } from './daemon.mjs';
import { SANITIZED, SLOW, keyOf, startStack, statuses, stopStack, waitStatus } from './bybit_common.mjs';

const SNAPSHOT_BOUND_MS = SANITIZED ? 3000 : 1000;
const USERS = ['skew', 'storm', 'drop', 'badkey', 'badsecret', 'revoked'];

let stack;
let sim;
let d;

before(async () => {
  stack = await startStack({
    users: USERS,
    // Short timers so every recovery happens within a few seconds; the reconciliation timer makes the
    // sessions hit the skewed clock on their own.
    plugin: {
      reconcile_interval_ms: 1000,
      backoff_initial_ms: 100,
      backoff_max_ms: 1000,
      rate_limit_backoff_ms: 200,
      ping_interval_ms: 1000,
      pong_timeout_ms: 1000,
      request_timeout_ms: 2000,
    },
    credentialOverrides: {
      badkey: { key: 'no-such-key' },
      badsecret: { secret: 'wrong-secret-never-logged' },
    },
  });
  ({ sim, d } = stack);
});

after(() => stopStack(stack));

/** Places a resting linear order for `user` and fills it; resolves when all four streams pushed after it. */
async function fillAndExpectPushes(c, user, what) {
  const { order } = await sim.control('POST', '/sim/orders', {
    user, category: 'linear', symbol: 'ETHUSDT', side: 'Buy', orderType: 'Limit', qty: '0.1', price: '1000',
  });
  const mark = c.mark();
  const t0 = Date.now();
  await sim.control('POST', '/sim/orders/fill', { orderId: order.orderId });
  const got = await c.waitEvents(mark, TRADING_TYPES, 3000 * SLOW, `${what}: pushes after a fill`);
  if (process.env.BYBIT_E2E_DEBUG) console.log(`# ${what}: ${JSON.stringify(Object.fromEntries(TRADING_TYPES.map((t) => [t, got[t].t - t0])))}`);
  return Math.max(...TRADING_TYPES.map((t) => got[t].t - t0));
}

/** The last status per stream after mark. */
function lastStatus(c, mark) {
  const out = {};
  for (const s of statuses(c, mark)) out[s.stream] = s;
  return out;
}

/** Waits until the sim counted more than `n` successful private auths of `user`'s key; returns the count. */
async function waitAuthsAbove(user, n, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const auths = (await sim.counters()).wsAuthOk?.[keyOf(user)] ?? 0;
    if (auths > n) return auths;
    if (Date.now() > deadline) throw new Error(`${what}: no new private auth of ${keyOf(user)} within ${timeoutMs} ms (${auths})`);
    await sleep(20);
  }
}

/** Private subscriptions the sim took so far (each private stream subscribes to "order" once). */
const orderSubscribes = async () => (await sim.counters()).wsSubscribes?.order ?? 0;

/**
 * Waits until the sim took more than `n` private subscriptions: from then on it pushes every account
 * change to the stream. An authenticated stream is not ready yet: a fill between its auth and its
 * subscribe only reaches the plugin through the REST refresh after the subscribe ack, and an order
 * placed and filled in that window never shows in the open-orders stream (empty before and after), so
 * no orders push follows it. Only one user's private stream comes up at a time in these tests.
 */
async function waitSubscribedAbove(n, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const subs = await orderSubscribes();
    if (subs > n) return subs;
    if (Date.now() > deadline) throw new Error(`${what}: no new private subscribe within ${timeoutMs} ms (${subs})`);
    await sleep(20);
  }
}

const restErrors = async (code) => (await sim.counters()).restErrors?.[code] ?? 0;

for (const skewMs of [30000, -30000]) {
  test(`server clock skew of ${skewMs / 1000} s: the plugin re-syncs and data keeps flowing`, { timeout: 60000 * SLOW }, async () => {
    const c = await Client.connect(d, 'skew');
    try {
      await subscribeTrading(c, TRADING_TYPES, SNAPSHOT_BOUND_MS);
      const k0 = await sim.counters();
      const errors0 = k0.restErrors?.['10002'] ?? 0;
      const syncs0 = k0.restCalls?.['/v5/market/time'] ?? 0;
      const mark = c.mark();
      await sim.control('POST', '/sim/clock', { skewMs });
      // The reconciliation timer's signed requests now carry timestamps 30 s off: 10002, then a re-sync.
      const deadline = Date.now() + 5000 * SLOW;
      let k;
      for (;;) {
        k = await sim.counters();
        if ((k.restErrors?.['10002'] ?? 0) > errors0 && (k.restCalls?.['/v5/market/time'] ?? 0) > syncs0) break;
        if (Date.now() > deadline) throw new Error(`no 10002 and re-sync within 5 s: ${JSON.stringify(k)}`);
        await sleep(50);
      }
      // After the re-sync the reconciliation succeeds again: no further 10002 for a while.
      await sleep(1500 * SLOW);
      const settled = (await sim.counters()).restErrors?.['10002'] ?? 0;
      await sleep(2500 * SLOW);
      assert.equal((await sim.counters()).restErrors?.['10002'] ?? 0, settled, 'the re-synced clock keeps requests inside the window');
      // Live data (private WebSocket) still flows.
      await fillAndExpectPushes(c, 'skew', `skew ${skewMs}`);
      // A new session (resubscribe: reset_user and a fresh session) authenticates and gets all snapshots.
      const auths0 = (await sim.counters()).wsAuthOk?.[keyOf('skew')] ?? 0;
      const subs0 = await orderSubscribes();
      await subscribeTrading(c, TRADING_TYPES, SNAPSHOT_BOUND_MS);
      await waitAuthsAbove('skew', auths0, 3000 * SLOW, `skew ${skewMs}: the new session's private WebSocket`);
      await waitSubscribedAbove(subs0, 3000 * SLOW, `skew ${skewMs}: the new session's private WebSocket`);
      await fillAndExpectPushes(c, 'skew', `skew ${skewMs}, new session`);
      // Absorbed without a lasting failure: any status the client saw ends in live.
      for (const [stream, s] of Object.entries(lastStatus(c, mark))) {
        assert.equal(s.state, 'live', `${stream}: ${JSON.stringify(statuses(c, mark))}`);
      }
    } finally {
      c.close();
      await sim.control('POST', '/sim/clock', { skewMs: 0 });
    }
    await d.waitIdle(10000 * SLOW);
  });
}

test('a session that starts under a skew the plugin has not seen yet gets its snapshots and its private auth', { timeout: 60000 * SLOW }, async () => {
  // No session runs, so no reconciliation re-syncs the shared clock estimate before this subscribe.
  await d.waitIdle(10000 * SLOW);
  for (const skewMs of [30000, -30000, 0]) {
    const k0 = await sim.counters();
    const errors0 = k0.restErrors?.['10002'] ?? 0;
    const authFail0 = (k0.wsAuthAttempts?.[keyOf('skew')] ?? 0) - (k0.wsAuthOk?.[keyOf('skew')] ?? 0);
    const auths0 = k0.wsAuthOk?.[keyOf('skew')] ?? 0;
    const subs0 = k0.wsSubscribes?.order ?? 0;
    await sim.control('POST', '/sim/clock', { skewMs });
    const c = await Client.connect(d, 'skew');
    try {
      const mark = c.mark();
      const { lateness } = await subscribeTrading(c, TRADING_TYPES, 2 * SNAPSHOT_BOUND_MS);
      await waitAuthsAbove('skew', auths0, 3000 * SLOW, `cold skew ${skewMs}`);
      await waitSubscribedAbove(subs0, 3000 * SLOW, `cold skew ${skewMs}`);
      await fillAndExpectPushes(c, 'skew', `cold skew ${skewMs}`);
      const k = await sim.counters();
      const authFail = (k.wsAuthAttempts?.[keyOf('skew')] ?? 0) - (k.wsAuthOk?.[keyOf('skew')] ?? 0);
      console.log(`# cold skew ${skewMs}: snapshots ${JSON.stringify(lateness)} ms after ack, ` +
        `10002s ${(k.restErrors?.['10002'] ?? 0) - errors0}, refused private auths ${authFail - authFail0}`);
      for (const [stream, st] of Object.entries(lastStatus(c, mark))) {
        assert.equal(st.state, 'live', `${stream}: ${JSON.stringify(statuses(c, mark))}`);
      }
    } finally {
      c.close();
    }
    await d.waitIdle(10000 * SLOW);
  }
});

test('a 10006 storm: rate_limited (stale), then live and data', { timeout: 60000 * SLOW }, async () => {
  const c = await Client.connect(d, 'storm');
  try {
    await subscribeTrading(c, TRADING_TYPES, SNAPSHOT_BOUND_MS);
    const errors0 = await restErrors('10006');
    const mark = c.mark();
    await sim.control('POST', '/sim/faults', { rateLimitCount: 12 });
    // The new session's snapshot requests (resubscribe) run into the storm.
    const { ack } = await c.request('subscribe_trading', { types: TRADING_TYPES });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    const limited = await waitStatus(c, mark, (s) => s.code === 'rate_limited', 3000 * SLOW, 'no rate_limited status');
    assert.equal(limited.state, 'stale', JSON.stringify(limited));
    assert.ok(TRADING_TYPES.includes(limited.stream), JSON.stringify(limited));
    assert.equal(typeof limited.message, 'string');
    // Recovery: every stream that went stale comes back live, and all four have data after the storm.
    await waitFor(() => {
      const last = lastStatus(c, mark);
      return Object.values(last).every((s) => s.state === 'live');
    }, 15000 * SLOW, `streams not live again: ${JSON.stringify(statuses(c, mark))}`);
    await c.waitEvents(mark, TRADING_TYPES, 5000 * SLOW, 'data after the storm');
    assert.ok(await restErrors('10006') > errors0, 'the sim answered 10006');
    for (const s of statuses(c, mark)) {
      // Live again is announced by the plugin (code "ok") or by the hub when data flows again (code "").
      const ok = (s.state === 'stale' && s.code === 'rate_limited') || (s.state === 'live' && ['ok', ''].includes(s.code));
      assert.ok(ok, `unexpected status ${JSON.stringify(s)}`);
    }
    await fillAndExpectPushes(c, 'storm', 'after the storm');
  } finally {
    c.close();
    await sim.control('POST', '/sim/faults/clear');
    await sim.control('POST', '/sim/faults', { ipLimitPer5s: 100000 });
  }
  await d.waitIdle(10000 * SLOW);
});

for (const mode of ['abrupt', 'close']) {
  test(`a dropped private WebSocket (${mode}): upstream_reconnecting, then live and fresh data`, { timeout: 60000 * SLOW }, async () => {
    const before = (await sim.counters()).wsAuthOk?.[keyOf('drop')] ?? 0;
    const c = await Client.connect(d, 'drop');
    try {
      await subscribeTrading(c, TRADING_TYPES, SNAPSHOT_BOUND_MS);
      // The session's private WebSocket is up (authenticated and subscribed) before it is dropped.
      const auths0 = await waitAuthsAbove('drop', before, 3000 * SLOW, 'the session\'s private auth');
      await sleep(200);
      const subs0 = await orderSubscribes();
      const mark = c.mark();
      await sim.control('POST', '/sim/ws/drop', { channel: 'private', user: 'drop', mode });
      const st = await waitStatus(c, mark, (s) => s.code === 'upstream_reconnecting', 3000 * SLOW, 'no upstream_reconnecting status');
      assert.equal(st.state, 'stale', JSON.stringify(st));
      await waitFor(() => {
        const last = lastStatus(c, mark);
        return Object.keys(last).length > 0 && Object.values(last).every((s) => s.state === 'live');
      }, 10000 * SLOW, `streams not live again: ${JSON.stringify(statuses(c, mark))}`);
      // (The hub may call the streams live on reconciliation data before the new WebSocket is up.)
      await waitAuthsAbove('drop', auths0, 5000 * SLOW, `after the ${mode} drop`);
      await waitSubscribedAbove(subs0, 5000 * SLOW, `after the ${mode} drop`);
      // Fresh data through the new private WebSocket.
      const ms = await fillAndExpectPushes(c, 'drop', `after the ${mode} drop`);
      console.log(`# ${mode} drop: fill -> pushes ${ms} ms after recovery`);
    } finally {
      c.close();
    }
    await d.waitIdle(10000 * SLOW);
  });
}

test('a dropped public WebSocket: the ticker goes upstream_reconnecting, then live with fresh prices', { timeout: 60000 * SLOW }, async () => {
  const c = await Client.connect(d, 'ticker-watcher');
  try {
    const { ack } = await c.request('subscribe_ticker', { symbols: ['BTCUSDT'], exchange: 'bybit', category: 'linear' });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    await waitFor(() => c.pushes('ticker').length > 0, 3000 * SLOW, 'first ticker');
    const conns0 = (await sim.counters()).wsConnections?.['/v5/public/linear'] ?? 0;
    const mark = c.mark();
    await sim.control('POST', '/sim/ws/drop', { channel: 'linear', mode: 'abrupt' });
    const st = await waitStatus(c, mark, (x) => x.code === 'upstream_reconnecting', 3000 * SLOW, 'no upstream_reconnecting for the ticker');
    assert.equal(st.stream, 'ticker', JSON.stringify(st));
    assert.equal(st.state, 'stale', JSON.stringify(st));
    await waitFor(() => statuses(c, mark).at(-1)?.state === 'live', 10000 * SLOW,
      `ticker not live again: ${JSON.stringify(statuses(c, mark))}`);
    assert.ok(((await sim.counters()).wsConnections?.['/v5/public/linear'] ?? 0) > conns0, 'a new public WebSocket');
    const m2 = c.mark();
    await sim.control('POST', '/sim/prices', { category: 'linear', symbol: 'BTCUSDT', price: '65432.1' });
    await waitFor(() => c.since(m2, 'ticker').some((e) => e.args[0].data.last_price === 65432.1), 3000 * SLOW,
      `fresh ticker after the reconnect: ${JSON.stringify(c.since(m2, 'ticker').map((e) => e.args[0].data.last_price))}`);
  } finally {
    c.close();
  }
  await d.waitIdle(10000 * SLOW);
});

test('pings without pongs: the private WebSocket is replaced (upstream_reconnecting), live again once pongs return', { timeout: 60000 * SLOW }, async () => {
  const before = (await sim.counters()).wsAuthOk?.[keyOf('drop')] ?? 0;
  const c = await Client.connect(d, 'drop');
  try {
    await subscribeTrading(c, TRADING_TYPES, SNAPSHOT_BOUND_MS);
    const auths0 = await waitAuthsAbove('drop', before, 3000 * SLOW, 'the session\'s private auth');
    await sleep(200);
    const subs0 = await orderSubscribes();
    const mark = c.mark();
    await sim.control('POST', '/sim/faults', { wsNoPong: true });
    // ping every 1 s, pong timeout 1 s.
    const st = await waitStatus(c, mark, (x) => x.code === 'upstream_reconnecting', 5000 * SLOW, 'no upstream_reconnecting without pongs');
    assert.equal(st.state, 'stale', JSON.stringify(st));
    await sim.control('POST', '/sim/faults', { wsNoPong: false });
    await waitFor(() => {
      const last = lastStatus(c, mark);
      return Object.keys(last).length > 0 && Object.values(last).every((x) => x.state === 'live');
    }, 10000 * SLOW, `streams not live again: ${JSON.stringify(statuses(c, mark))}`);
    await waitAuthsAbove('drop', auths0, 5000 * SLOW, 'after the pong timeout');
    await waitSubscribedAbove(subs0, 5000 * SLOW, 'after the pong timeout');
    console.log(`# no pongs: statuses ${JSON.stringify(statuses(c, 0).map((x) => [x.stream, x.state, x.code]))} (from index ${statuses(c, 0).length - statuses(c, mark).length})`);
    await fillAndExpectPushes(c, 'drop', 'after the pong timeout');
  } finally {
    c.close();
    await sim.control('POST', '/sim/faults', { wsNoPong: false });
  }
  await d.waitIdle(10000 * SLOW);
});

async function expectAuthFailed(user, what) {
  const c = await Client.connect(d, user);
  try {
    const mark = c.mark();
    const { ack } = await c.request('subscribe_trading', { types: TRADING_TYPES });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    await waitFor(() => TRADING_TYPES.every((t) => lastStatus(c, mark)[t]?.code === 'exchange_auth_failed'), 3000 * SLOW,
      `${what}: exchange_auth_failed on every stream; seen ${JSON.stringify(statuses(c, mark))}`);
    for (const t of TRADING_TYPES) {
      const s = lastStatus(c, mark)[t];
      assert.equal(s.state, 'error', JSON.stringify(s));
      assert.equal(typeof s.message, 'string');
    }
    const seen = JSON.stringify(c.since(mark));
    assert.doesNotMatch(seen, /never-logged/, `${what}: no secret in what the client sees`);
    assert.ok(!seen.includes('no-such-key') && !seen.includes(keyOf(user)), `${what}: no API key in what the client sees: ${seen}`);
    return c;
  } catch (err) {
    c.close();
    throw err;
  }
}

test('a bad API key: exchange_auth_failed on every subscribed stream', { timeout: 60000 * SLOW }, async () => {
  const a = await expectAuthFailed('badkey', 'unknown key');
  // A second device of the user joins the failed session: it is told at once (statuses repeat to new subscribers).
  const a2 = await Client.connect(d, 'badkey');
  const mark = a2.mark();
  const { ack, tAck } = await a2.request('subscribe_trading', { types: TRADING_TYPES });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  await waitFor(() => TRADING_TYPES.every((t) => lastStatus(a2, mark)[t]?.code === 'exchange_auth_failed'), 1000 * SLOW,
    `second device: exchange_auth_failed on every stream; seen ${JSON.stringify(statuses(a2, mark))}`);
  console.log(`# bad key: second device told ${Date.now() - tAck} ms after its ack`);
  a2.close();
  a.close();
  const b = await expectAuthFailed('badsecret', 'wrong secret');
  b.close();
  await d.waitIdle(10000 * SLOW);
  assert.doesNotMatch(d.log(), /never-logged/, 'no secret in the daemon log');
});

test('a key deleted under a live session: exchange_auth_failed at the next request', { timeout: 60000 * SLOW }, async () => {
  const c = await Client.connect(d, 'revoked');
  try {
    await subscribeTrading(c, TRADING_TYPES, SNAPSHOT_BOUND_MS);
    const mark = c.mark();
    await sim.control('POST', '/sim/keys/delete', { key: keyOf('revoked') });
    // The reconciliation timer (1 s) makes the next signed request: 10003.
    const s = await waitStatus(c, mark, (x) => x.code === 'exchange_auth_failed', 5000 * SLOW, 'no exchange_auth_failed after the key was deleted');
    assert.equal(s.state, 'error', JSON.stringify(s));
    await waitFor(() => TRADING_TYPES.every((t) => lastStatus(c, mark)[t]?.code === 'exchange_auth_failed'), 3000 * SLOW,
      `every stream reports it: ${JSON.stringify(statuses(c, mark))}`);
  } finally {
    c.close();
  }
  await d.waitIdle(10000 * SLOW);
});
