// What an unauthenticated or misbehaving client can make the daemon hold, through stock clients and
// raw sockets: sessions that left every namespace, refused logins on one connection and from one
// address, and sessions whose token expired.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Client, RawSocket, io, mintJwt, sleep, startDaemon, stopChecked, waitFor } from './daemon.mjs';

const daemons = [];
after(async () => {
  for (const d of daemons) await stopChecked(d);
});
async function daemon(overrides) {
  const d = await startDaemon(overrides);
  daemons.push(d);
  return d;
}

/** A raw WebSocket past the Engine.IO open packet. */
async function rawEngine(d) {
  const r = await RawSocket.open(d.wsUrl);
  assert.match(await r.nextPacket(), /^0\{/, 'Engine.IO open packet');
  return r;
}

describe('sessions with no namespace joined are closed at the connect deadline', () => {
  test('a session refused for too_many_connections does not stay open', async () => {
    const d = await daemon({ limits: { max_connections_per_user: 1 }, server: { connect_timeout_ms: 1000 } });
    const first = await Client.connect(d, 'capped');
    try {
      const r = await rawEngine(d);
      r.send(`40${JSON.stringify({ token: mintJwt('capped') })}`);
      assert.match(await r.nextPacket(), /^40\{"sid":/, 'CONNECT accepted before the hub applies the cap');
      assert.match(await r.nextPacket(), /too_many_connections/, 'the cap is announced');
      assert.match(await r.nextPacket(), /^41/, 'then a namespace disconnect');
      // Before the fix the Engine.IO session stayed open for good, counting for nobody.
      assert.ok(await r.waitClosed(5000), 'the session is closed at the connect deadline');
      assert.ok(first.socket.connected, 'the user\'s first connection is unaffected');
    } finally {
      first.close();
    }
  });

  test('a session whose client left its namespace must join again in time', async () => {
    const d = await daemon({ server: { connect_timeout_ms: 1000 } });
    const r = await rawEngine(d);
    r.send(`40${JSON.stringify({ token: mintJwt('leaver') })}`);
    assert.match(await r.nextPacket(), /^40\{"sid":/);
    r.send('41');
    assert.ok(await r.waitClosed(5000), 'closed after leaving every namespace');
  });
});

describe('refused logins', () => {
  test('one connection gets three refusals, then it is closed', async () => {
    const d = await daemon({});
    const r = await rawEngine(d);
    let refusals = 0;
    for (let i = 0; i < 10 && !r.closed; i++) {
      r.send(`40${JSON.stringify({ token: 'garbage' })}`);
      const f = await r.nextPacket(3000);
      if (f === null) break;
      if (f.startsWith('44')) refusals++;
    }
    assert.ok(await r.waitClosed(5000), 'closed');
    // Three refusals are allowed; the fourth is answered and closes the connection.
    assert.ok(refusals >= 3 && refusals <= 4, `refusals answered: ${refusals}`);
    // A flood on one connection: the daemon stays up, logs a bounded number of lines.
    const flood = await rawEngine(d);
    for (let i = 0; i < 1000 && !flood.closed; i++) flood.send(`40${JSON.stringify({ token: 'garbage' })}`);
    assert.ok(await flood.waitClosed(5000), 'the flooding connection is closed');
    const lines = d.log().split('\n').filter((l) => l.includes('auth refused from')).length;
    assert.ok(lines <= 8, `refusal log lines: ${lines}`);
  });

  test('an address past its allowance waits, even with a valid token; other addresses do not', async () => {
    const d = await daemon({ limits: { failed_logins_per_address: 4 } });
    for (let i = 0; i < 5; i++) {
      const c = new Client(d, 'u', { token: 'garbage' });
      await assert.rejects(c.connected(), (err) => err.data?.code === 'malformed_token');
      c.close();
    }
    const c = new Client(d, 'u');
    await assert.rejects(c.connected(), (err) => {
      assert.equal(err.data?.code, 'too_many_failures', JSON.stringify(err.data));
      assert.ok(err.data.retry_after_ms > 0 && err.data.retry_after_ms <= 1001, JSON.stringify(err.data));
      return true;
    });
    c.close();
    // Another source address (127.0.0.2 on loopback) is another client.
    const other = await Client.connect(d, 'u', { localAddress: '127.0.0.2' });
    other.close();
    // After the wait a valid token gets in again.
    await sleep(1100);
    const again = await Client.connect(d, 'u');
    again.close();
  });
});

describe('a session ends when its token expires', () => {
  test('token_expired is announced, the transport closes, the client reconnects with a fresh token', async () => {
    const d = await daemon({ auth: { leeway_s: 0 }, feed: { tick_interval_ms: 100 } });
    const tokens = [];
    const events = [];
    const disconnects = [];
    const socket = io(d.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnectionDelay: 100,
      reconnectionDelayMax: 200,
      // The auth callback runs on every (re)connection: that is where an app fetches a fresh token.
      auth: (cb) => {
        const exp = Math.floor(Date.now() / 1000) + (tokens.length === 0 ? 2 : 3600);
        tokens.push(exp);
        cb({ token: mintJwt('expiring', { exp }) });
      },
    });
    socket.onAny((event, ...args) => events.push({ event, args, t: Date.now() }));
    socket.on('disconnect', (reason) => disconnects.push({ reason, t: Date.now() }));
    try {
      await waitFor(() => socket.connected, 5000, 'first connect');
      const ack = await socket.timeout(5000).emitWithAck('subscribe_ticker', { symbols: ['BTCUSDT'] });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      await waitFor(() => disconnects.length > 0, 6000, 'no disconnect after the token expired');
      const expired = events.find((e) => e.event === 'error' && e.args[0]?.code === 'token_expired');
      assert.ok(expired, `token_expired announced: ${JSON.stringify(events.filter((e) => e.event === 'error'))}`);
      assert.ok(disconnects[0].t >= tokens[0] * 1000 - 50, 'not before exp');
      assert.ok(disconnects[0].t <= tokens[0] * 1000 + 3000, `within 3 s of exp (${disconnects[0].t - tokens[0] * 1000} ms)`);
      assert.equal(disconnects[0].reason, 'transport close', 'a reason the client reconnects after');
      // No ticker reaches the session after its token expired.
      assert.ok(events.filter((e) => e.event === 'ticker' && e.t > disconnects[0].t).length === 0 || tokens.length > 1);
      await waitFor(() => socket.connected && tokens.length === 2, 5000, 'reconnected with a fresh token');
    } finally {
      socket.close();
    }
  });
});

describe('out of descriptors', () => {
  test('idle sockets that fill the descriptor table are shed; a client with a token still gets in', async () => {
    // 128 descriptors; one address opens 160 idle TCP connections (no request at all), more than
    // the process can hold. Before the fix, accept failed silently and everyone else waited for
    // the idle sockets' 60 s read deadline.
    const d = await daemon({ nofile: 128, limits: { max_connections: 40 } });
    const idle = [];
    for (let i = 0; i < 160; i++) {
      const s = net.connect({ host: '127.0.0.1', port: d.port, localAddress: '127.0.0.5' });
      s.on('error', () => {});
      idle.push(s);
    }
    try {
      await sleep(500);
      const c = await Client.connect(d, 'with-token', { localAddress: '127.0.0.6' });
      c.close();
      const r = await fetch(`${d.url}/healthz`, { signal: AbortSignal.timeout(5000) });
      assert.equal(r.status, 200);
      assert.match(d.log(), /accept failed: .*closed \d+ connections that had not completed a handshake/);
      const m = await d.metrics();
      assert.ok(m.tradepushd_connections_shed_total > 0, 'shed connections are counted');
    } finally {
      for (const s of idle) s.destroy();
    }
  });
});
