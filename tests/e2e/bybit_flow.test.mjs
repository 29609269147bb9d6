// The Bybit path end to end, real components only: tradepushd + libtradepush-bybit.so + tools/bybit-sim
// + stock socket.io-client, all on 127.0.0.1.
//  - a fill in the simulator reaches the subscribed client as orders, positions, balance and pnl pushes
//    within 500 ms of the control call that fills (release builds);
//  - 50 ticker clients are served from ONE upstream subscription (sim counters, daemon /stats);
//  - DESIGN §1 on the real path: an app killed hard (socket terminated, no disconnect packet),
//    restarted and resubscribed 20 times gets a fresh exchange session (a new private WS auth in the
//    sim) and all four snapshots every time; and 10 more that reconnect at once, before the daemon
//    may have noticed the dead socket (snapshots still within 1 s, nothing left behind).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, TRADING_TYPES, checkEnvelope, sleep, subscribeTrading, waitFor } from './daemon.mjs';
import { SANITIZED, SLOW, hardKill, keyOf, startStack, stopStack } from './bybit_common.mjs';

const FILL_USER = 'fill1';
const RECONNECT_USER = 'reco1';
const FILL_BOUND_MS = SANITIZED ? 3000 : 500;
const SNAPSHOT_BOUND_MS = SANITIZED ? 3000 : 1000;
const FILLS = 5;
const TICKER_CLIENTS = 50;
const RECONNECTS = 20;

let stack;
let sim;
let d;

before(async () => {
  stack = await startStack({ users: [FILL_USER, RECONNECT_USER] });
  ({ sim, d } = stack);
  // A symbol no account holds, so its one public subscription is the ticker clients' alone.
  await sim.control('POST', '/sim/state', {
    instruments: [{ symbol: 'SOLUSDT', category: 'linear', base: 'SOL', quote: 'USDT', price: '150', priceDecimals: 3, qtyDecimals: 1 }],
  });
});

after(() => stopStack(stack));

const orderIds = (p) => p.data.orders.map((o) => o.order_id);
const positionOf = (p, symbol) => p.data.positions.find((x) => x.symbol === symbol);

test('a fill reaches the client as orders, positions, balance and pnl within 500 ms', { timeout: 60000 * SLOW }, async () => {
  const c = await Client.connect(d, FILL_USER);
  const { snaps } = await subscribeTrading(c, TRADING_TYPES, SNAPSHOT_BOUND_MS);
  for (const t of TRADING_TYPES) checkEnvelope(snaps[t], t);
  assert.equal(positionOf(snaps.positions, 'BTCUSDT')?.size, 0.01, JSON.stringify(snaps.positions));
  assert.ok(snaps.balance.data.coins.some((x) => x.coin === 'USDT'), JSON.stringify(snaps.balance));

  const latencies = [];
  let ethSize = 0;
  for (let i = 0; i < FILLS; i++) {
    // A resting bid far below the market: only the fill call below fills it.
    const placeMark = c.mark();
    const { order } = await sim.control('POST', '/sim/orders', {
      user: FILL_USER, category: 'linear', symbol: 'ETHUSDT', side: 'Buy', orderType: 'Limit', qty: '0.1', price: String(1000 + 10 * i),
    });
    const id = order.orderId;
    await waitFor(() => c.since(placeMark, 'orders').some((e) => orderIds(e.args[0]).includes(id)), 2000 * SLOW,
      `fill ${i}: the new resting order ${id} was not pushed`);
    await sleep(300); // let the order's own wallet/position pushes settle

    const mark = c.mark();
    const t0 = Date.now();
    await sim.control('POST', '/sim/orders/fill', { orderId: id });
    ethSize = Math.round((ethSize + 0.1) * 10) / 10;
    const arrived = {};
    const done = () => {
      for (const e of c.since(mark)) {
        if (arrived[e.event]) continue;
        const p = e.args[0];
        if (e.event === 'orders' && !orderIds(p).includes(id)) arrived.orders = e.t;
        else if (e.event === 'positions' && positionOf(p, 'ETHUSDT')?.size === ethSize) arrived.positions = e.t;
        else if (e.event === 'balance' || e.event === 'pnl') arrived[e.event] = e.t;
      }
      return TRADING_TYPES.every((t) => arrived[t]);
    };
    await waitFor(done, 5000 * SLOW, `fill ${i}: pushes after the fill: ${JSON.stringify(Object.keys(arrived))}; ` +
      `events: ${JSON.stringify(c.since(mark).map((e) => [e.event, e.t - t0]))}`);
    const latency = Math.max(...TRADING_TYPES.map((t) => arrived[t] - t0));
    latencies.push(latency);
    for (const t of TRADING_TYPES) {
      const e = c.since(mark, t).at(-1);
      checkEnvelope(e.args[0], t);
    }
    const pnl = c.since(mark, 'pnl').at(-1).args[0];
    assert.ok(pnl.data.positions.some((x) => x.symbol === 'ETHUSDT'), `pnl covers the new position: ${JSON.stringify(pnl)}`);
    assert.ok(latency <= FILL_BOUND_MS, `fill ${i}: last push ${latency} ms after the fill call (bound ${FILL_BOUND_MS} ms): ` +
      JSON.stringify(Object.fromEntries(TRADING_TYPES.map((t) => [t, arrived[t] - t0]))));
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(`# fill -> all four pushes: ms ${JSON.stringify(latencies)} p50 ${sorted[Math.floor(sorted.length / 2)]} max ${sorted.at(-1)}`);
  assert.equal(c.since(0, 'stream_status').length, 0, `no status on a healthy session: ${JSON.stringify(c.since(0, 'stream_status'))}`);
  c.close();
  await d.waitIdle(10000 * SLOW);
});

test('50 ticker clients share one upstream subscription', { timeout: 60000 * SLOW }, async () => {
  const before = await sim.counters();
  const subs0 = before.wsSubscribes?.['tickers.SOLUSDT'] ?? 0;
  const conns0 = before.wsConnections?.['/v5/public/linear'] ?? 0;
  const clients = await Promise.all(Array.from({ length: TICKER_CLIENTS }, (_, i) => Client.connect(d, `tick${i}`)));
  try {
    const acks = await Promise.all(clients.map((c) => c.request('subscribe_ticker', { symbols: ['SOLUSDT'], exchange: 'bybit', category: 'linear' })));
    for (const { ack } of acks) assert.equal(ack?.ok, true, JSON.stringify(ack));
    await waitFor(() => clients.every((c) => c.pushes('ticker').length > 0), 5000 * SLOW, 'every client has a first ticker');
    for (const c of clients) {
      const p = c.pushes('ticker')[0].payload;
      assert.equal(p.symbol, 'SOLUSDT', JSON.stringify(p));
      assert.equal(p.data.symbol, 'SOLUSDT');
      assert.equal(typeof p.data.last_price, 'number', JSON.stringify(p));
    }
    // Moves: every client gets each new price.
    for (let i = 0; i < 3; i++) {
      const marks = clients.map((c) => c.mark());
      const price = 151 + i;
      await sim.control('POST', '/sim/prices', { category: 'linear', symbol: 'SOLUSDT', price: String(price) });
      await waitFor(() => clients.every((c, k) => c.since(marks[k], 'ticker').some((e) => e.args[0].data.last_price === price)),
        3000 * SLOW, `every client sees SOLUSDT at ${price}`);
    }
    const after = await sim.counters();
    assert.equal((after.wsSubscribes?.['tickers.SOLUSDT'] ?? 0) - subs0, 1,
      `one upstream subscription for 50 clients: ${JSON.stringify(after.wsSubscribes)}`);
    assert.equal((after.wsConnections?.['/v5/public/linear'] ?? 0) - conns0, 1,
      `one public WebSocket for 50 clients: ${JSON.stringify(after.wsConnections)}`);
    const s = await d.stats();
    assert.equal(s.hub.ticker_streams, 1, JSON.stringify(s.hub));
  } finally {
    for (const c of clients) c.close();
  }
  await d.waitIdle(10000 * SLOW);
  // The upstream closes with its last client.
  const deadline = Date.now() + 5000 * SLOW;
  for (;;) {
    const k = await sim.counters();
    if (k.openWs === 0) break;
    if (Date.now() > deadline) throw new Error(`public WebSockets left open after the last client: ${JSON.stringify(k)}`);
    await sleep(50);
  }
});

test('DESIGN §1 on the Bybit path: 20 hard kills, each reconnect gets a new session and all snapshots', { timeout: 120000 * SLOW }, async () => {
  const key = keyOf(RECONNECT_USER);
  const lateness = [];
  for (let i = 0; i < RECONNECTS; i++) {
    const auths0 = (await sim.counters()).wsAuthOk?.[key] ?? 0;
    const c = await Client.connect(d, RECONNECT_USER);
    const { snaps, lateness: late } = await subscribeTrading(c, TRADING_TYPES, SNAPSHOT_BOUND_MS);
    for (const t of TRADING_TYPES) checkEnvelope(snaps[t], `iteration ${i} ${t}`);
    assert.equal(positionOf(snaps.positions, 'BTCUSDT')?.size, 0.01);
    lateness.push(Math.max(...Object.values(late)));
    // A new exchange session: the sim saw one more successful private auth with this user's key.
    const deadline = Date.now() + 3000 * SLOW;
    let auths;
    for (;;) {
      auths = (await sim.counters()).wsAuthOk?.[key] ?? 0;
      if (auths >= auths0 + 1) break;
      if (Date.now() > deadline) break;
      await sleep(20);
    }
    assert.equal(auths, auths0 + 1, `iteration ${i}: private WS auths of ${key} ${auths0} -> ${auths}`);
    hardKill(c);
    // The daemon notices the dead socket and releases the user entirely (DESIGN §4.3).
    await d.waitIdle(5000 * SLOW);
  }
  const sorted = [...lateness].sort((a, b) => a - b);
  console.log(`# reconnect: last snapshot after ack ms p50 ${sorted[Math.floor(sorted.length / 2)]} max ${sorted.at(-1)}`);
  // Every session was released upstream too: no private WebSocket left in the sim.
  const deadline = Date.now() + 5000 * SLOW;
  for (;;) {
    const k = await sim.counters();
    if (k.openWs === 0) break;
    if (Date.now() > deadline) throw new Error(`WebSockets left open in the sim: ${JSON.stringify(k)}`);
    await sleep(50);
  }
});

test('hard kills with an immediate reconnect: snapshots every time, nothing left behind', { timeout: 60000 * SLOW }, async () => {
  let prev = null;
  for (let i = 0; i < 10; i++) {
    const c = await Client.connect(d, RECONNECT_USER);
    const { snaps } = await subscribeTrading(c, TRADING_TYPES, SNAPSHOT_BOUND_MS);
    for (const t of TRADING_TYPES) checkEnvelope(snaps[t], `iteration ${i} ${t}`);
    if (prev) prev.close();
    hardKill(c);
    prev = c;
  }
  await d.waitIdle(5000 * SLOW);
  const deadline = Date.now() + 5000 * SLOW;
  for (;;) {
    const k = await sim.counters();
    if (k.openWs === 0) break;
    if (Date.now() > deadline) throw new Error(`WebSockets left open in the sim: ${JSON.stringify(k)}`);
    await sleep(50);
  }
});
