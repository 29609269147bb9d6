// A restart with many users online, scaled down for CI: USERS clients (one user and one Bybit account
// each) connect and subscribe at once to tradepushd with the Bybit plugin, against tools/bybit-sim
// enforcing an IP limit scaled from Bybit's 600 per 5 s. The plugin's REST budget (scaled from its
// 500 per 5 s the same way) must keep every call under the simulator's limit:
//  - zero HTTP 403 at the simulator, and no client ever told `rate_limited`;
//  - every client gets all four snapshots, within 1.2x the time the budget allows for the calls the
//    users need (one window per LIMIT calls), plus a margin for the rest of the path;
//  - a client whose snapshot waits is told `upstream_queued`, never silence;
//  - at most UPSTREAM_BOUND HTTP connections to the simulator at any moment ([plugins] upstream_connections).
// bench/run --scenarios upstream-storm is the same at 300, 1000 and 3000 users with Bybit's own limits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, TRADING_TYPES, waitFor } from './daemon.mjs';
import { SLOW, startStack, stopStack } from './bybit_common.mjs';

const USERS = 200;
const SIM_LIMIT = 180;     // per 5 s: Bybit's 600, scaled
const LIMIT = 150;         // the plugin's budget per 5 s: its 500, scaled alike
const WINDOW_MS = 5000;
const UPSTREAM_BOUND = 8;
const users = Array.from({ length: USERS }, (_, i) => `storm${i}`);

let stack;
let sim;
let d;

before(async () => {
  stack = await startStack({
    users,
    plugin: { rest_ip_limit: LIMIT, rest_ip_window_ms: WINDOW_MS, reconcile_interval_ms: 0 },
    upstreamConnections: UPSTREAM_BOUND,
  });
  ({ sim, d } = stack);
  // startStack lifts the simulator's IP limit; this test is about it.
  await sim.control('POST', '/sim/faults', { ipLimitPer5s: SIM_LIMIT });
  await sim.control('POST', '/sim/counters/reset');
});

after(() => stopStack(stack));

test(`${USERS} users at once: no 403, every snapshot within the budget's time, told while waiting`,
  { timeout: 240000 * SLOW }, async () => {
    const clients = await Promise.all(users.map((u) => Client.connect(d, u, { timeout: 20000 * SLOW })));
    // The daemon's HTTP connections to the simulator, sampled through the storm.
    let peakHttp = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const m = await d.metrics();
        peakHttp = Math.max(peakHttp, (m['tradepushd_upstream_connections{state="busy"}'] ?? 0) +
          (m['tradepushd_upstream_connections{state="idle"}'] ?? 0));
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const t0 = Date.now();
    const acks = await Promise.all(clients.map((c) => c.request('subscribe_trading', { types: TRADING_TYPES }, 20000 * SLOW)));
    for (const { ack } of acks) assert.equal(ack?.ok, true, JSON.stringify(ack));
    // Every account needs three calls (wallet, positions, orders), plus one clock sync for all.
    const needed = USERS * 3 + 1;
    const budgetMs = Math.ceil(needed / LIMIT - 1) * WINDOW_MS;
    const boundMs = 1.2 * budgetMs + 3000 * SLOW;
    const complete = (c) => TRADING_TYPES.every((t) => c.pushes(t).length > 0);
    try {
      await waitFor(() => clients.every(complete), boundMs + 30000 * SLOW,
        `snapshots: ${clients.filter(complete).length} of ${USERS} users complete`);
    } catch (err) {
      sampling = false;
      await sampler;
      const late = clients.find((c) => !complete(c));
      throw new Error(`${err.message}; a waiting client saw ${JSON.stringify(late.events.map((e) => [e.event, e.args[0]?.code ?? '']))}; ` +
        `simulator: ${JSON.stringify(await sim.counters())}; daemon log:\n${d.log().slice(-6000)}`);
    }
    const lastMs = Math.max(...clients.map((c) => Math.max(...TRADING_TYPES.map((t) => c.pushes(t)[0].t)))) - t0;
    sampling = false;
    await sampler;

    const counters = await sim.counters();
    const calls = ['/v5/account/wallet-balance', '/v5/position/list', '/v5/order/realtime']
      .reduce((n, p) => n + (counters.restCalls[p] ?? 0), 0);
    const statuses = clients.flatMap((c) => c.pushes('stream_status').map((p) => p.payload));
    const queued = clients.filter((c) => c.pushes('stream_status').some((p) => p.payload.code === 'upstream_queued'));
    console.log(`# ${USERS} users: all snapshots after ${lastMs} ms (budget allows ${budgetMs} ms, bound ${boundMs} ms); ` +
      `${(calls / USERS).toFixed(2)} REST calls per user; peak ${peakHttp} HTTP connections; ` +
      `${queued.length} clients told upstream_queued; 403s ${counters.restErrors.http403 ?? 0}`);

    assert.equal(counters.restErrors.http403 ?? 0, 0, `the simulator refused the address: ${JSON.stringify(counters.restErrors)}`);
    assert.ok(!statuses.some((s) => s.code === 'rate_limited'), 'a client was told rate_limited');
    assert.ok(lastMs <= boundMs, `all snapshots after ${lastMs} ms, bound ${boundMs} ms`);
    // Most clients waited (the first window serves 50 users): each of those was told so.
    assert.ok(queued.length >= USERS / 2, `only ${queued.length} clients were told upstream_queued`);
    assert.ok(peakHttp <= UPSTREAM_BOUND, `peak ${peakHttp} HTTP connections, bound ${UPSTREAM_BOUND}`);
    assert.ok(peakHttp > 0, 'the sampler never saw a connection');
    for (const c of clients) c.close();
  });
