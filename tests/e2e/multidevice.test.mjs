// DESIGN §4.6 multi-device: one device leaving (clean disconnect, or killed) or resubscribing never
// interrupts another device of the same user; the other sees at most one extra snapshot.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import {
  Client, HERE, TRADING_TYPES, checkEnvelope, mintJwt, spawnTied, startDaemon, subscribeTrading, waitFor, withTimeout, stopChecked } from './daemon.mjs';

const TICK_MS = 200;
const USER = '7';
let d;
before(async () => { d = await startDaemon({ feed: { tick_interval_ms: TICK_MS } }); });
after(async () => {
  if (!d) return;
  await stopChecked(d);
});

/**
 * Checks device `c` kept receiving across an event that happened at index `mark` of its events:
 * at least `n` new pushes of positions and balance arrive (they change every tick), and every
 * trading stream's seq, over the whole history, only increases; around the event at most one push
 * per stream is "extra" (seq not previous+1, or the same data again).
 */
async function checkKeepsReceiving(c, mark, what, n = 4) {
  await waitFor(() => c.since(mark, 'positions').length >= n && c.since(mark, 'balance').length >= n,
    n * TICK_MS + 5000, `${what}: device stopped receiving (positions +${c.since(mark, 'positions').length}, balance +${c.since(mark, 'balance').length})`);
  for (const t of TRADING_TYPES) {
    const all = c.pushes(t).map((p) => p.payload);
    all.forEach((p) => checkEnvelope(p, `${what} ${t}`));
    for (let i = 1; i < all.length; i++) {
      assert.ok(all[i].seq > all[i - 1].seq, `${what}: ${t} seq went ${all[i - 1].seq} -> ${all[i].seq} (history ${all.map((p) => p.seq)})`);
    }
    const before = c.events.slice(0, mark).filter((e) => e.event === t).length;
    let extra = 0;
    // Look at the pushes from the last one before the event onwards.
    for (let i = Math.max(1, before); i < all.length; i++) {
      if (all[i].seq !== all[i - 1].seq + 1 || JSON.stringify(all[i].data) === JSON.stringify(all[i - 1].data)) extra++;
    }
    assert.ok(extra <= 1, `${what}: ${t} saw ${extra} extra snapshots (seqs ${all.map((p) => p.seq)})`);
  }
}

async function twoDevices() {
  await d.waitIdle(10000);
  const a = await Client.connect(d, USER);
  const b = await Client.connect(d, USER, { transports: ['polling', 'websocket'] });
  await subscribeTrading(a);
  await subscribeTrading(b);
  // Both receive live updates.
  const ma = a.mark();
  const mb = b.mark();
  await waitFor(() => a.since(ma, 'positions').length >= 2 && b.since(mb, 'positions').length >= 2, 5000,
    'both devices receive positions updates');
  return { a, b };
}

describe('two devices of one user', () => {
  test('B disconnects cleanly: A keeps receiving, no reset', { timeout: 60000 }, async () => {
    const { a, b } = await twoDevices();
    try {
      const r0 = (await d.stats()).hub.resets;
      const mark = a.mark();
      b.close();
      await d.waitStats((s) => s.hub.connections === 1, 5000, 'B gone');
      await checkKeepsReceiving(a, mark, 'A after B disconnected');
      const s = await d.stats();
      assert.equal(s.hub.resets, r0, 'B leaving must not reset the user while A is subscribed');
      assert.equal(s.hub.open_accounts, 1);
    } finally {
      a.close();
      b.close();
    }
  });

  test('B is killed (no disconnect packet): A keeps receiving, no reset', { timeout: 60000 }, async () => {
    await d.waitIdle(10000);
    const a = await Client.connect(d, USER);
    let proc;
    try {
      await subscribeTrading(a);
      proc = spawnTied([process.execPath, path.join(HERE, 'client_child.mjs'), d.url, mintJwt(USER), 'polling,websocket', 'upgrade'],
        { stdio: ['ignore', 'pipe', 'inherit'] });
      const [line] = await withTimeout(once(proc.stdout, 'data'), 15000, 'device B report');
      const r = JSON.parse(String(line).split('\n')[0]);
      assert.ok(r.ok, `device B: ${r.error}`);
      await d.waitStats((s) => s.hub.connections === 2, 5000, 'B connected');
      const r0 = (await d.stats()).hub.resets;
      const mark = a.mark();
      const exited = once(proc, 'exit');
      proc.kill('SIGKILL');
      await withTimeout(exited, 5000, 'B exit');
      await d.waitStats((s) => s.hub.connections === 1, 10000, 'killed B noticed');
      await checkKeepsReceiving(a, mark, 'A after B was killed');
      assert.equal((await d.stats()).hub.resets, r0, 'B dying must not reset the user while A is subscribed');
    } finally {
      proc?.kill('SIGKILL');
      a.close();
    }
  });

  test('B resubscribes while A stays: A keeps receiving, B gets fresh snapshots, no reset', { timeout: 60000 }, async () => {
    const { a, b } = await twoDevices();
    try {
      for (let round = 1; round <= 3; round++) {
        const r0 = (await d.stats()).hub.resets;
        const mark = a.mark();
        const again = await subscribeTrading(b);
        for (const t of TRADING_TYPES) checkEnvelope(again.snaps[t], `B round ${round} ${t}`);
        await checkKeepsReceiving(a, mark, `A after B's resubscribe #${round}`);
        assert.equal((await d.stats()).hub.resets, r0, `round ${round}: resubscribe of B must not reset the user while A holds streams`);
      }
      // B's snapshots and A's pushes describe the same account: same seq, same data.
      const aByKey = new Map(a.pushes('positions').map((p) => [p.payload.seq, JSON.stringify(p.payload.data)]));
      let common = 0;
      for (const p of b.pushes('positions')) {
        if (!aByKey.has(p.payload.seq)) continue;
        common++;
        assert.equal(JSON.stringify(p.payload.data), aByKey.get(p.payload.seq), `positions seq ${p.payload.seq} differs between devices`);
      }
      assert.ok(common > 0, 'devices share positions seqs');
    } finally {
      a.close();
      b.close();
    }
    await d.waitIdle(10000);
  });

  test('B unsubscribes balance: B stops getting balance only, A keeps all four', { timeout: 60000 }, async () => {
    const { a, b } = await twoDevices();
    try {
      const { ack } = await b.request('unsubscribe_trading', { types: ['balance'] });
      assert.equal(ack?.ok, true, JSON.stringify(ack));
      const ma = a.mark();
      const mb = b.mark();
      await waitFor(() => b.since(mb, 'positions').length >= 4 && a.since(ma, 'balance').length >= 4, 5000 + 4 * TICK_MS,
        'A gets balance, B gets positions after the unsubscribe');
      assert.equal(b.since(mb, 'balance').length, 0, 'B still receives balance after unsubscribing it');
      await checkKeepsReceiving(a, ma, "A after B's unsubscribe");
    } finally {
      a.close();
      b.close();
    }
    await d.waitIdle(10000);
  });
});
