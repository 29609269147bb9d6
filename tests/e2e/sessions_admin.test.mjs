// The admin commands about live client sessions, driven by the real tradepushctl: `sessions list`
// (who is connected, over what, since when, subscribed to how much; `--user` and `--limit`) and
// `user kick` (closes exactly that user's sessions; the clients reconnect and, on resubscribe, get
// fresh snapshots).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminCli, Client, TRADING_TYPES, startDaemon, stopChecked, subscribeTrading, waitFor } from './daemon.mjs';

let dir;
let sock;
let d;

before(async () => {
  assert.ok(process.env.TRADEPUSH_CTL, 'TRADEPUSH_CTL must point at tradepushctl');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-sessions-'));
  sock = path.join(dir, 'admin.sock');
  d = await startDaemon({ admin: { socket: sock } });
  await waitFor(() => /admin socket on/.test(d.log()), 5000, 'admin socket log line');
});

after(async () => {
  if (d) await stopChecked(d);
  fs.rmSync(dir, { recursive: true, force: true });
});

const { ctl, ctlJson } = adminCli(() => sock, 30000);

test('sessions list shows each connection with its user, transport, peer, age and subscriptions', async () => {
  const alice = await Client.connect(d, 'list-alice');
  const alice2 = await Client.connect(d, 'list-alice');
  const bob = await Client.connect(d, 'list-bob');
  try {
    await subscribeTrading(alice);
    const tick = await alice2.request('subscribe_ticker', { symbols: ['BTCUSDT', 'ETHUSDT'] });
    assert.equal(tick.ack.ok, true, JSON.stringify(tick.ack));
    await d.waitStats((s) => s.hub.connections === 3, 5000, 'three connections attached');

    const all = ctlJson('sessions', 'list');
    assert.ok(Array.isArray(all));
    const mine = all.filter((s) => s.user.startsWith('list-'));
    assert.equal(mine.length, 3, JSON.stringify(all));
    for (const s of mine) {
      assert.equal(s.transport, 'websocket');
      assert.match(s.remote, /^127\.0\.0\.1:\d+$/);
      assert.equal(typeof s.sid, 'string');
      assert.ok(s.sid.length > 0);
      assert.ok(Number.isInteger(s.id));
      assert.ok(Number.isInteger(s.shard) && s.shard >= 0 && s.shard < 2);
      assert.ok(s.connected_s >= 0 && s.connected_s < 60);
    }
    const bySid = new Map(mine.map((s) => [s.sid, s]));
    // The public Socket.IO id is what the client knows as socket.id.
    assert.equal(bySid.get(alice.socket.id)?.trading, TRADING_TYPES.length);
    assert.equal(bySid.get(alice.socket.id)?.account, 'main');
    assert.equal(bySid.get(alice.socket.id)?.tickers, 0);
    assert.equal(bySid.get(alice2.socket.id)?.trading, 0);
    assert.equal(bySid.get(alice2.socket.id)?.tickers, 2);
    assert.equal(bySid.get(bob.socket.id)?.user, 'list-bob');

    // --user filters; --limit caps.
    const onlyAlice = ctlJson('sessions', 'list', '--user', 'list-alice');
    assert.deepEqual(onlyAlice.map((s) => s.user), ['list-alice', 'list-alice']);
    assert.equal(ctlJson('sessions', 'list', '--limit', '1').length, 1);
    assert.deepEqual(ctlJson('sessions', 'list', '--user', 'nobody-at-all'), []);
    const bad = ctl('sessions', 'list', '--limit', '0');
    assert.equal(bad.code, 1, bad.out + bad.err);

    // Humans get a table.
    const table = ctl('sessions', 'list', '--user', 'list-bob');
    assert.equal(table.code, 0, table.err);
    assert.match(table.out, /USER/);
    assert.match(table.out, /list-bob/);
  } finally {
    alice.close();
    alice2.close();
    bob.close();
  }
  await d.waitStats((s) => s.hub.connections === 0, 5000, 'clients gone');
});

test('user kick closes exactly that user\'s sessions; the client reconnects and gets fresh snapshots', async () => {
  // The kicked user's client reconnects by itself (socket.io-client's default on "transport close").
  const kicked = await Client.connect(d, 'kick-me', { reconnection: true, reconnectionDelay: 100, reconnectionDelayMax: 500 });
  const kicked2 = await Client.connect(d, 'kick-me');
  const other = await Client.connect(d, 'kick-other');
  try {
    await subscribeTrading(kicked);
    await subscribeTrading(other);
    const otherMark = other.mark();
    const firstId = kicked.socket.id;

    const r = ctlJson('user', 'kick', 'kick-me');
    assert.deepEqual(r, { user: 'kick-me', closed: 2 });
    await waitFor(() => kicked.disconnects.length > 0 && kicked2.disconnects.length > 0, 5000, 'both sessions closed');
    // A transport close (not a namespace disconnect), so clients reconnect on their own.
    assert.equal(kicked.disconnects[0].reason, 'transport close');
    assert.equal(kicked2.disconnects[0].reason, 'transport close');
    assert.match(d.log(), /admin audit: .*cmd="user kick"/);

    // The other user is untouched.
    assert.equal(other.socket.connected, true);
    assert.equal(other.disconnects.length, 0);

    // Reconnected (a new socket id), resubscribes, and gets every snapshot afresh.
    await waitFor(() => kicked.socket.connected && kicked.socket.id !== firstId, 10000, 'kicked client reconnected');
    const again = await subscribeTrading(kicked);
    for (const t of TRADING_TYPES) assert.ok(again.snaps[t], `fresh ${t} snapshot after the kick`);
    const listed = ctlJson('sessions', 'list', '--user', 'kick-me');
    assert.equal(listed.length, 1);
    assert.equal(listed[0].sid, kicked.socket.id);
    assert.equal(listed[0].trading, TRADING_TYPES.length);
    // The other user's stream kept flowing meanwhile (the scripted feed ticks every second).
    await waitFor(() => other.since(otherMark, 'balance').length > 0 || other.since(otherMark, 'pnl').length > 0,
      5000, 'the other user still receives pushes');
    assert.equal(other.disconnects.length, 0);

    // Unknown user: not_found, exit 1.
    const missing = ctl('--json', 'user', 'kick', 'nobody-at-all');
    assert.equal(missing.code, 1, missing.out + missing.err);
    assert.equal(JSON.parse(missing.out).error.code, 'not_found');
  } finally {
    kicked.socket.io.opts.reconnection = false;
    kicked.close();
    kicked2.close();
    other.close();
  }
});
