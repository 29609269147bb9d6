// DESIGN §4.2 isolation under concurrency: 20 users x 2 connections (websocket and polling mixed,
// spread over 2 worker shards) connect and subscribe at the same time; every push a connection gets
// is its own user's data. The scripted data differs per user, so: a user's two connections agree on
// every (stream, seq), and no two users ever share a balance/positions/orders payload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, TRADING_TYPES, checkEnvelope, startDaemon, subscribeTrading, waitFor, stopChecked } from './daemon.mjs';

const USERS = 20;
const PER_USER = 2;
const TICK_MS = 200;
const ALLOWED_EVENTS = new Set([...TRADING_TYPES, 'ticker', 'stream_status']);

let d;
before(async () => { d = await startDaemon({ feed: { tick_interval_ms: TICK_MS } }); });
after(async () => {
  if (!d) return;
  await stopChecked(d);
});

test('20 users x 2 connections subscribing concurrently only ever see their own data', { timeout: 120000 }, async () => {
  await d.waitIdle(10000);
  const users = Array.from({ length: USERS }, (_, i) => `iso-${i + 1}`);
  const clients = [];
  try {
    await Promise.all(users.flatMap((u) => Array.from({ length: PER_USER }, async (_, k) => {
      const c = await Client.connect(d, u, { transports: k % 2 ? ['polling', 'websocket'] : ['websocket'] });
      clients.push(c);
      await subscribeTrading(c);
      const { ack } = await c.request('subscribe_ticker', { symbols: ['BTCUSDT'], exchange: 'bybit', category: 'linear' });
      assert.equal(ack?.ok, true, `subscribe_ticker for ${u}: ${JSON.stringify(ack)}`);
    })));
    const s = await d.stats();
    assert.equal(s.hub.connections, USERS * PER_USER);
    assert.equal(s.hub.users, USERS);
    assert.equal(s.hub.open_accounts, USERS, 'one upstream per user, not per connection');
    assert.equal(s.hub.ticker_streams, 1, 'one upstream per public symbol');

    // Let a few ticks happen.
    await waitFor(() => clients.every((c) => c.pushes('positions').length >= 6), 20000,
      'every connection receives >= 6 positions pushes');

    const byUser = new Map(); // user -> type -> Set(JSON data)
    for (const c of clients) {
      for (const e of c.events) {
        assert.ok(ALLOWED_EVENTS.has(e.event), `${c.user} got unexpected event ${e.event} ${JSON.stringify(e.args)}`);
        if (!TRADING_TYPES.includes(e.event)) continue;
        checkEnvelope(e.args[0], `${c.user} ${e.event}`);
        if (!byUser.has(c.user)) byUser.set(c.user, Object.fromEntries(TRADING_TYPES.map((t) => [t, new Map()])));
        const seen = byUser.get(c.user)[e.event];
        const data = JSON.stringify(e.args[0].data);
        const prior = seen.get(e.args[0].seq);
        // Both connections of a user share one stream: same seq, same payload.
        assert.ok(prior === undefined || prior === data,
          `user ${c.user} ${e.event} seq ${e.args[0].seq}: the two connections got different data\n${prior}\n${data}`);
        seen.set(e.args[0].seq, data);
      }
      // Per connection and stream, seq only increases (no duplicate or reordered push).
      for (const t of [...TRADING_TYPES, 'ticker']) {
        const seqs = c.pushes(t).map((p) => p.payload.seq);
        for (let i = 1; i < seqs.length; i++) {
          assert.ok(seqs[i] > seqs[i - 1], `${c.user} ${t} seq ${seqs[i - 1]} -> ${seqs[i]}`);
        }
      }
    }
    assert.equal(byUser.size, USERS);

    // No payload of balance/positions/orders is shared by two users (they would be for a leak).
    for (const t of ['balance', 'positions', 'orders']) {
      const owner = new Map();
      for (const [u, streams] of byUser) {
        for (const data of streams[t].values()) {
          const o = owner.get(data);
          assert.ok(o === undefined || o === u, `${t} payload seen by users ${o} and ${u}: ${data}`);
          owner.set(data, u);
        }
      }
    }
    // Order ids carry the account's seed: one prefix per user, distinct across users.
    const prefixes = new Map();
    for (const c of clients) {
      for (const p of c.pushes('orders')) {
        for (const o of p.payload.data.orders) {
          const pre = `${o.symbol}:${o.order_id.split('-')[0]}`;
          const u = prefixes.get(pre);
          assert.ok(u === undefined || u === c.user, `order id prefix ${pre} seen by ${u} and ${c.user}`);
          prefixes.set(pre, c.user);
        }
      }
    }
    // Tickers are public: every connection gets BTCUSDT and nothing else.
    for (const c of clients) {
      const t = c.pushes('ticker').map((p) => p.payload.symbol);
      assert.ok(t.length > 0 && t.every((s) => s === 'BTCUSDT'), `${c.user} tickers ${[...new Set(t)]}`);
    }
    const total = clients.reduce((n, c) => n + c.events.length, 0);
    console.log(`[isolation] ${clients.length} connections, ${total} events checked; stats ${JSON.stringify(await d.stats())}`);
  } finally {
    for (const c of clients) c.close();
  }
  await d.waitIdle(10000);
});

test('memory per connection (300 websocket connections, each subscribed to balance and one ticker)', { timeout: 120000 }, async () => {
  const N = 300;
  const base = await d.waitIdle(10000);
  const clients = [];
  try {
    for (let i = 0; i < N; i += 50) {
      await Promise.all(Array.from({ length: 50 }, async (_, k) => {
        const c = await Client.connect(d, `mem-${i + k}`);
        clients.push(c);
        const { ack } = await c.request('subscribe_ticker', { symbols: ['BTCUSDT'], exchange: 'bybit', category: 'linear' });
        assert.equal(ack?.ok, true);
        await subscribeTrading(c, ['balance']);
      }));
    }
    const s = await d.waitStats((x) => x.hub.connections === N, 10000, `${N} connections`);
    const per = (s.rss_bytes - base.rss_bytes) / N;
    console.log(`[memory] rss ${(base.rss_bytes / 1048576).toFixed(1)} MiB idle -> ${(s.rss_bytes / 1048576).toFixed(1)} MiB with ${N} connections: ` +
      `${(per / 1024).toFixed(1)} KiB per connection (incl. one upstream account per user)`);
    assert.ok(per < 256 * 1024, `${(per / 1024).toFixed(1)} KiB per connection`);
  } finally {
    for (const c of clients) c.close();
  }
  const idle = await d.waitIdle(15000);
  console.log(`[memory] after closing all: rss ${(idle.rss_bytes / 1048576).toFixed(1)} MiB`);
  assert.ok(idle.rss_bytes < base.rss_bytes + 64 * 1024 * 1024);
});
