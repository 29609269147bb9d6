// [server] flush_window_us: pushes that reach one client within the window leave in one WebSocket
// write, every stream still in order with nothing lost; with the window at 0 each push is its own
// write. Seen from outside, through /metrics (pushes_total vs ws_writes_total) and stock clients.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Client, TRADING_TYPES, checkEnvelope, sleep, startDaemon, stopChecked, subscribeTrading, waitFor } from './daemon.mjs';

const TICK_MS = 100;
const daemons = [];
after(async () => {
  for (const d of daemons) await stopChecked(d);
});

/**
 * One client of user `user` on the trading streams (changing together on the feed's tick) and
 * three tickers; after `ms` of pushes returns the pushes and writes the daemon counted meanwhile,
 * and checks the client's streams stayed contiguous.
 */
async function measure(d, user, ms) {
  const c = await Client.connect(d, user);
  try {
    await subscribeTrading(c);
    const { ack } = await c.request('subscribe_ticker', { symbols: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT'], exchange: 'bybit', category: 'linear' });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    await sleep(2 * TICK_MS);
    const m0 = await d.metrics();
    const mark = c.mark();
    await sleep(ms);
    const m1 = await d.metrics();
    const pushes = m1.tradepushd_pushes_total - m0.tradepushd_pushes_total;
    const writes = m1.tradepushd_ws_writes_total - m0.tradepushd_ws_writes_total;
    // Every trading stream kept arriving, in order and without gaps: coalescing loses nothing.
    for (const t of TRADING_TYPES) {
      const seqs = c.since(mark, t).map((e) => { checkEnvelope(e.args[0], t); return e.args[0].seq; });
      // Positions and balance change every tick in the scripted feed; orders and pnl less often.
      if (t === 'positions' || t === 'balance') assert.ok(seqs.length >= ms / TICK_MS / 2, `${t}: only ${seqs.length} pushes in ${ms} ms`);
      for (let i = 1; i < seqs.length; i++) assert.equal(seqs[i], seqs[i - 1] + 1, `${t} seqs ${seqs}`);
    }
    return { pushes, writes };
  } finally {
    c.close();
  }
}

describe('flush window', () => {
  test('5 ms window: a tick\'s pushes to one client share writes', { timeout: 60000 }, async (t) => {
    const d = await startDaemon({ server: { flush_window_us: 5000 }, feed: { tick_interval_ms: TICK_MS } });
    daemons.push(d);
    const { pushes, writes } = await measure(d, 'fw1', 2000);
    t.diagnostic(`${pushes} pushes in ${writes} writes`);
    assert.ok(pushes > 40, `pushes: ${pushes}`);
    // Several streams change together every tick: at least two pushes per write on average
    // (the ideal is all of a tick's in one).
    assert.ok(pushes >= 2 * writes, `${pushes} pushes in ${writes} writes`);
  });

  test('no window (the default): every push is its own write', { timeout: 60000 }, async (t) => {
    const d = await startDaemon({ feed: { tick_interval_ms: TICK_MS } });
    daemons.push(d);
    const { pushes, writes } = await measure(d, 'fw0', 1000);
    t.diagnostic(`${pushes} pushes in ${writes} writes`);
    assert.ok(pushes > 20, `pushes: ${pushes}`);
    // A client that reads along never has a write in progress when the next push comes.
    assert.ok(writes >= pushes * 0.9, `${pushes} pushes in ${writes} writes`);
  });
});
