// The graceful stop (operations.md §5.2, docs/operations.md "Stop: SIGTERM"): on SIGTERM tradepushd
// stops accepting and closes every client's WebSocket with 1012 (Service Restart), in a random
// order spread over drain_spread_ms, so the clients do not all reconnect at once; then it exits 0
// well before its global deadline. A second SIGTERM cuts the spread short. `tradepushctl drain`
// starts the same drain and the daemon exits by itself.
//
// 1 000 clients are raw WebSockets speaking Engine.IO/Socket.IO by hand (one socket and a few
// closures each: far cheaper than socket.io-client). The daemon and this process each hold about
// 1 000 descriptors, well under the 20 000 per-process limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket, mintJwt, startDaemon, waitFor, withTimeout } from './daemon.mjs';

// Sanitizer builds are several times slower; the timing bounds stretch with them.
const SLOW = process.env.TRADEPUSH_SANITIZE ? 3 : 1;

/**
 * A Socket.IO client by hand over one WebSocket: Engine.IO open, CONNECT with a token, pongs.
 * Resolves once connected; `closedAt`/`closeCode` are set when the server closes it.
 */
function rawClient(d, user) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(d.wsUrl);
    const c = { user, ws, closedAt: undefined, closeCode: undefined, connected: false };
    ws.on('message', (data) => {
      const f = data.toString();
      if (f.startsWith('0{')) ws.send(`40${JSON.stringify({ token: mintJwt(user) })}`);
      else if (f.startsWith('40{')) { c.connected = true; resolve(c); }
      else if (f === '2') ws.send('3');
      else if (f.startsWith('44')) reject(new Error(`${user}: CONNECT refused: ${f}`));
    });
    ws.on('close', (code) => {
      c.closedAt = Date.now();
      c.closeCode = code;
      if (!c.connected) reject(new Error(`${user}: closed before connecting (${code})`));
    });
    ws.on('error', (err) => { if (!c.connected) reject(err); });
  });
}

/** Connects `n` raw clients, `batch` at a time; users u0..u(users-1) get n/users connections each. */
async function connectMany(d, n, users = 100, batch = 100) {
  const clients = [];
  for (let i = 0; i < n; i += batch) {
    const wave = [];
    for (let j = i; j < Math.min(n, i + batch); j++) wave.push(rawClient(d, `drain-u${j % users}`));
    clients.push(...await withTimeout(Promise.all(wave), 20000 * SLOW, `connecting clients ${i}..${i + batch}`));
  }
  return clients;
}

function closeTimes(clients, since) {
  return clients.filter((c) => c.closedAt !== undefined).map((c) => c.closedAt - since).sort((a, b) => a - b);
}

test('SIGTERM with 1 000 clients: every one closed with 1012, spread over ~5 s, exit 0 well before the deadline',
  { timeout: 240000 }, async () => {
    const d = await startDaemon({ server: { drain_spread_ms: 5000, drain_timeout_ms: 20000 } });
    let clients = [];
    try {
      clients = await connectMany(d, 1000);
      await d.waitStats((s) => s.engine.sessions === 1000 && s.hub.connections === 1000, 20000 * SLOW, '1000 clients attached');
      const exited = once(d.proc, 'exit');
      const t0 = Date.now();
      d.proc.kill('SIGTERM');
      const [code, signal] = await withTimeout(exited, 30000 * SLOW, 'daemon exit after SIGTERM');
      const exitMs = Date.now() - t0;
      await waitFor(() => clients.every((c) => c.closedAt !== undefined), 5000, 'every client saw its close');
      const times = closeTimes(clients, t0);
      const codes = new Map();
      for (const c of clients) codes.set(c.closeCode, (codes.get(c.closeCode) ?? 0) + 1);
      const spread = times[times.length - 1] - times[0];
      const median = times[times.length >> 1];
      console.log(`[drain] 1000 clients: first close ${times[0]} ms, median ${median} ms, last ${times[times.length - 1]} ms ` +
        `after SIGTERM (spread ${spread} ms); exit ${code} after ${exitMs} ms; close codes ${JSON.stringify([...codes])}`);
      assert.equal(signal, null, d.log().slice(-3000));
      assert.equal(code, 0, d.log().slice(-3000));
      assert.equal(times.length, 1000);
      assert.equal(codes.get(1012), 1000, `every close is 1012 Service Restart: ${JSON.stringify([...codes])}`);
      // Spread, not a herd: the first and the last close are at least half the window apart, and
      // no more than a fifth of the clients go in any one second.
      assert.ok(spread >= 2500, `closes spread over ${spread} ms (want >= 2500)`);
      const perSecond = new Map();
      for (const t of times) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
      assert.ok(Math.max(...perSecond.values()) <= 350, `closes per second: ${JSON.stringify([...perSecond])}`);
      // All of it inside the global deadline (20 s), and in fact close to the 5 s window.
      assert.ok(exitMs < 20000, `exit ${exitMs} ms after SIGTERM`);
      if (!process.env.TRADEPUSH_SANITIZE) assert.ok(exitMs < 9000, `exit ${exitMs} ms after SIGTERM (want < 9 s)`);
      assert.match(d.log(), /drain: 1000 client\(s\), closing them over 5000 ms/);
      assert.match(d.log(), /drain: 1000 client\(s\) closed in \d+ ms/);
    } finally {
      for (const c of clients) c.ws.terminate();
      await d.stop();
    }
  });

test('a second SIGTERM during the drain closes everything at once', { timeout: 120000 }, async () => {
  // 600 clients at 200 per second would take 3 s; the second signal comes after 300 ms.
  const d = await startDaemon({ server: { drain_spread_ms: 10000, drain_timeout_ms: 20000 } });
  let clients = [];
  try {
    clients = await connectMany(d, 600);
    await d.waitStats((s) => s.engine.sessions === 600, 20000 * SLOW, '600 clients attached');
    const exited = once(d.proc, 'exit');
    const t0 = Date.now();
    d.proc.kill('SIGTERM');
    await waitFor(() => /drain: 600 client\(s\)/.test(d.log()), 5000, 'drain started');
    await new Promise((r) => setTimeout(r, 300));
    const closedBefore = clients.filter((c) => c.closedAt !== undefined).length;
    const t1 = Date.now();
    d.proc.kill('SIGTERM');
    const [code, signal] = await withTimeout(exited, 15000 * SLOW, 'daemon exit after the second SIGTERM');
    const afterSecond = Date.now() - t1;
    await waitFor(() => clients.every((c) => c.closedAt !== undefined), 5000, 'every client saw its close');
    console.log(`[drain] second SIGTERM ${t1 - t0} ms in: ${closedBefore} of 600 closed by then; exit ${code} ` +
      `${afterSecond} ms after it`);
    assert.equal(signal, null);
    assert.equal(code, 0, d.log().slice(-3000));
    assert.ok(closedBefore < 600, 'the drain was still under way');
    assert.ok(afterSecond < 2000 * SLOW, `exit ${afterSecond} ms after the second SIGTERM`);
    assert.match(d.log(), /during the stop: closing every connection now/);
    assert.match(d.log(), /drain: cut by a second signal/);
  } finally {
    for (const c of clients) c.ws.terminate();
    await d.stop();
  }
});

test('tradepushctl drain: answers at once, drains, and the daemon exits 0 by itself', { timeout: 120000 }, async (t) => {
  const ctlBin = process.env.TRADEPUSH_CTL;
  if (!ctlBin) return t.skip('TRADEPUSH_CTL is not set');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-drain-'));
  const sock = path.join(dir, 'admin.sock');
  const d = await startDaemon({ admin: { socket: sock } });
  let clients = [];
  try {
    await waitFor(() => /admin socket on/.test(d.log()), 5000, 'admin socket');
    clients = await connectMany(d, 40, 4, 40);
    await d.waitStats((s) => s.engine.sessions === 40, 10000 * SLOW, '40 clients attached');
    const exited = once(d.proc, 'exit');
    const r = spawnSync(ctlBin, ['--socket', sock, '--json', 'drain', '--grace', '1'], { encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const reply = JSON.parse(r.stdout);
    assert.equal(reply.ok, true, r.stdout);
    assert.equal(reply.result.draining, 40);
    assert.equal(reply.result.then, 'exit');
    assert.ok(reply.result.spread_ms <= 1000, r.stdout);
    const [code, signal] = await withTimeout(exited, 20000 * SLOW, 'daemon exit after tradepushctl drain');
    assert.equal(signal, null);
    assert.equal(code, 0, d.log().slice(-3000));
    await waitFor(() => clients.every((c) => c.closedAt !== undefined), 5000, 'every client saw its close');
    assert.ok(clients.every((c) => c.closeCode === 1012));
    assert.match(d.log(), /admin: drain requested/);
    assert.match(d.log(), /admin audit: .*cmd="drain"/);
  } finally {
    for (const c of clients) c.ws.terminate();
    await d.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
