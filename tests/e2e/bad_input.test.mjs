// DESIGN §4.9 bad input is contained: malformed packets, oversized frames, bad tokens, unknown events,
// invalid arguments and floods each get a clear error (close, CONNECT_ERROR or ack error) while two
// healthy clients (websocket and polling) keep receiving, and the daemon stays up.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { Client, RawSocket, TRADING_TYPES, mintJwt, sleep, startDaemon, subscribeTrading, waitFor, stopChecked } from './daemon.mjs';

const MAX_PAYLOAD = 10000;
const TICK_MS = 200;
let d;
let healthy = [];

before(async () => {
  d = await startDaemon({ server: { max_payload: MAX_PAYLOAD }, feed: { tick_interval_ms: TICK_MS }, log: { level: 'debug' } });
  healthy = [
    await Client.connect(d, 'healthy-ws'),
    await Client.connect(d, 'healthy-polling', { transports: ['polling'] }),
  ];
  for (const h of healthy) await subscribeTrading(h);
});
after(async () => {
  if (!d) return;
  for (const h of healthy) h.close();
  await stopChecked(d);
});

/** The healthy clients are still connected and receive fresh positions pushes with increasing seq. */
async function assertHealthy(what) {
  assert.ok(d.alive(), `${what}: tradepushd died`);
  const marks = healthy.map((h) => h.mark());
  await waitFor(() => healthy.every((h, i) => h.since(marks[i], 'positions').length >= 2), 10 * TICK_MS + 5000,
    `${what}: a healthy client stopped receiving`);
  for (const h of healthy) {
    assert.ok(h.socket.connected, `${what}: healthy client ${h.user} was disconnected (${JSON.stringify(h.disconnects)})`);
    assert.equal(h.disconnects.length, 0, `${what}: ${h.user} disconnects ${JSON.stringify(h.disconnects)}`);
    const seqs = h.pushes('positions').map((p) => p.payload.seq);
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1], `${what}: ${h.user} positions seq went back`);
  }
  const r = await fetch(`${d.url}/healthz`, { signal: AbortSignal.timeout(5000) });
  assert.equal(r.status, 200, `${what}: /healthz`);
}

/** A raw websocket session, optionally past the Socket.IO CONNECT (as user `raw`). */
async function rawSession(connect) {
  const r = await RawSocket.open(d.wsUrl);
  const open = await r.nextPacket();
  assert.match(open, /^0\{/, 'Engine.IO open packet');
  if (connect) {
    r.send(`40${JSON.stringify({ token: mintJwt('raw') })}`);
    assert.match(await r.nextPacket(), /^40\{"sid":/, 'CONNECT accepted');
  }
  return r;
}

describe('malformed and oversized packets close that connection only', () => {
  const cases = [
    { name: '"4abc" (unknown Socket.IO packet type) after CONNECT', connect: true, frame: '4abc' },
    { name: '"42{}" (EVENT payload not an array) after CONNECT', connect: true, frame: '42{}' },
    { name: '"42[]" (EVENT without a name) after CONNECT', connect: true, frame: '42[]' },
    { name: 'EVENT before CONNECT', connect: false, frame: '42["subscribe_trading",{"types":["balance"]}]' },
    { name: 'EVENT with ack before CONNECT', connect: false, frame: '421["subscribe_trading",{"types":["balance"]}]' },
    { name: 'unknown Engine.IO packet type "x"', connect: true, frame: 'xyz' },
    { name: `oversized frame (${2 * MAX_PAYLOAD} bytes > max_payload) after CONNECT`, connect: true,
      frame: `42["subscribe_trading",{"types":["${'A'.repeat(2 * MAX_PAYLOAD)}"]}]` },
    { name: 'oversized frame before CONNECT', connect: false, frame: `40{"token":"${'A'.repeat(2 * MAX_PAYLOAD)}"}` },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const before = (await d.stats()).hub.connections;
      const r = await rawSession(c.connect);
      r.send(c.frame);
      const closed = await r.waitClosed(5000);
      r.close();
      assert.ok(closed, `connection not closed after ${c.name}`);
      // No answer other than (possibly) a Socket.IO CONNECT_ERROR / DISCONNECT before the close.
      for (const f of r.queue) assert.match(f, /^4[14]/, `unexpected reply ${f.slice(0, 200)}`);
      await d.waitStats((s) => s.hub.connections === before, 5000, 'hub forgets the closed connection');
      await assertHealthy(c.name);
    });
  }

  test(`oversized polling POST (> max_payload) is refused with 413`, async () => {
    const hs = await fetch(`${d.url}/socket.io/?EIO=4&transport=polling`, { signal: AbortSignal.timeout(5000) });
    const body = await hs.text();
    assert.equal(hs.status, 200);
    const sid = JSON.parse(body.slice(1)).sid;
    const p = await fetch(`${d.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`,
      { method: 'POST', body: `40{"token":"${'A'.repeat(2 * MAX_PAYLOAD)}"}`, signal: AbortSignal.timeout(5000) });
    await p.text();
    assert.equal(p.status, 413);
    await assertHealthy('oversized POST');
  });
});

describe('bad tokens: CONNECT_ERROR "unauthorized" with the reason code', () => {
  const now = Math.floor(Date.now() / 1000);
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cases = [
    ['no token', { token: null }, ['no_token']],
    ['empty token', { token: '' }, ['no_token']],
    ['garbage', { token: 'garbage' }, ['malformed_token']],
    ['three garbage segments', { token: 'a.b.c' }, ['malformed_token']],
    ['wrong signature', { token: mintJwt('u', { secret: 'another-secret-another-secret-another-0123' }) }, ['bad_signature']],
    ['tampered claims', { token: (() => { const [h, , s] = mintJwt('u').split('.'); return `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', exp: now + 3600 })).toString('base64url')}.${s}`; })() }, ['bad_signature']],
    ['expired (beyond leeway)', { token: mintJwt('u', { exp: now - 3600 }) }, ['token_expired']],
    ['not yet valid', { token: mintJwt('u', { nbf: now + 3600 }) }, ['token_not_yet_valid']],
    ['alg none', { token: mintJwt('u', { alg: 'none' }) }, ['unsupported_alg']],
    // No RS256 key is configured: no key can have signed it (unknown_kid); unsupported_alg would do too.
    ['RS256 token, only HS256 configured', { token: mintJwt('u', { alg: 'RS256', privateKey }) }, ['unknown_kid', 'unsupported_alg']],
    ['unknown kid', { token: mintJwt('u', { kid: 'nope' }) }, ['unknown_kid']],
    ['no sub', { token: mintJwt(undefined) }, ['missing_subject']],
    ['bad token in Authorization header (polling)', { token: null, transports: ['polling'], extraHeaders: { Authorization: 'Bearer garbage' } }, ['malformed_token']],
  ];
  for (const [name, opts, codes] of cases) {
    for (const transports of [['websocket'], ['polling', 'websocket']]) {
      if (opts.transports && transports[0] === 'websocket') continue;
      test(`${name} (${transports.join('+')})`, async () => {
        const c = new Client(d, 'u', { transports, ...opts });
        try {
          await assert.rejects(c.connected(), (err) => {
            assert.equal(err.message, 'unauthorized', `connect_error message: ${err.message}`);
            assert.ok(codes.includes(err.data?.code), `data.code ${JSON.stringify(err.data)}, expected ${codes}`);
            return true;
          });
          assert.equal(c.events.length, 0, 'no event reaches a refused client');
        } finally {
          c.close();
        }
      });
    }
  }

  test('no refused client was registered with the hub', async () => {
    const s = await d.waitStats((x) => x.hub.connections === healthy.length, 5000, 'only the healthy clients');
    assert.equal(s.hub.users, healthy.length);
    await assertHealthy('bad tokens');
  });
});

describe('events: clear ack errors', () => {
  let c;
  before(async () => { c = await Client.connect(d, 'args'); });
  after(() => c.close());

  const sym = (n) => Array.from({ length: n }, (_, i) => `S${String(i + 1).padStart(4, '0')}USDT`);
  const cases = [
    ['unknown event', 'no_such_event', { x: 1 }, 'unknown_event'],
    ['types not an array', 'subscribe_trading', { types: 'balance' }, 'invalid_args'],
    ['types empty', 'subscribe_trading', { types: [] }, 'invalid_args'],
    ['payload not an object', 'subscribe_trading', 'balance', 'invalid_args'],
    ['unknown type', 'subscribe_trading', { types: ['balance', 'secrets'] }, 'invalid_type'],
    ['unsubscribe unknown type', 'unsubscribe_trading', { types: ['secrets'] }, 'invalid_type'],
    ['symbols not an array', 'subscribe_ticker', { symbols: 'BTCUSDT', exchange: 'bybit', category: 'linear' }, 'invalid_args'],
    ['invalid symbol', 'subscribe_ticker', { symbols: ['btc/usdt'], exchange: 'bybit', category: 'linear' }, 'invalid_symbol'],
    ['symbol too long', 'subscribe_ticker', { symbols: ['A'.repeat(33)], exchange: 'bybit', category: 'linear' }, 'invalid_symbol'],
    ['51 symbols (max_symbols_per_request = 50)', 'subscribe_ticker', { symbols: sym(51), exchange: 'bybit', category: 'linear' }, 'invalid_args'],
    ['unknown exchange', 'subscribe_ticker', { symbols: ['BTCUSDT'], exchange: 'nope', category: 'linear' }, 'unknown_exchange'],
  ];
  for (const [name, event, payload, code] of cases) {
    test(`${name} -> ${code}`, async () => {
      const { ack } = await c.request(event, payload);
      assert.equal(ack?.ok, false, JSON.stringify(ack));
      assert.equal(ack.error?.code, code, JSON.stringify(ack));
      assert.equal(typeof ack.error.message, 'string');
      assert.ok(c.socket.connected, 'a bad request does not cost the connection');
    });
  }

  test('201st ticker on a connection -> too_many_subscriptions', async () => {
    const all = sym(201);
    for (let i = 0; i < 200; i += 50) {
      const { ack } = await c.request('subscribe_ticker', { symbols: all.slice(i, i + 50), exchange: 'bybit', category: 'linear' });
      assert.equal(ack?.ok, true, JSON.stringify(ack));
    }
    const { ack } = await c.request('subscribe_ticker', { symbols: [all[200]], exchange: 'bybit', category: 'linear' });
    assert.equal(ack?.ok, false, JSON.stringify(ack));
    assert.equal(ack.error?.code, 'too_many_subscriptions', JSON.stringify(ack));
    const un = await c.request('unsubscribe_ticker', { symbols: all.slice(0, 50) });
    assert.equal(un.ack?.ok, true, JSON.stringify(un.ack));
    await assertHealthy('argument errors');
  });

  test('unknown event without ack is ignored, connection stays usable', async () => {
    c.socket.emit('no_such_event', { x: 1 });
    const { ack } = await c.request('subscribe_trading', { types: ['balance'] });
    assert.equal(ack?.ok, true, JSON.stringify(ack));
  });
});

/** Emits `n` events at once with acks; counts the outcomes. */
async function burst(c, n, event, payload) {
  const results = { ok: 0, rate_limited: 0, other: 0, none: 0 };
  await new Promise((resolve) => {
    let left = n;
    for (let i = 0; i < n; i++) {
      c.socket.timeout(10000).emit(event, payload, (err, ack) => {
        if (err) results.none++;
        else if (ack?.ok === true) results.ok++;
        else if (ack?.error?.code === 'rate_limited') results.rate_limited++;
        else results.other++;
        if (--left === 0) resolve();
      });
    }
  });
  return results;
}

describe('flood', () => {
  test('100 subscribes at once: the burst (~50) is served, the rest get rate_limited, connection stays', { timeout: 60000 }, async () => {
    const c = await Client.connect(d, 'burster');
    try {
      const r = await burst(c, 100, 'subscribe_ticker', { symbols: ['BTCUSDT'], exchange: 'bybit', category: 'linear' });
      console.log(`[flood] burst of 100: ${JSON.stringify(r)}`);
      assert.ok(r.ok >= 45 && r.ok <= 60, `${r.ok} accepted (burst 50)`);
      assert.equal(r.ok + r.rate_limited, 100, JSON.stringify(r));
      assert.ok(c.socket.connected);
      // The bucket refills (~20/s): a request succeeds again after a short wait.
      await sleep(300);
      const { ack } = await c.request('subscribe_trading', { types: ['balance'] });
      assert.equal(ack?.ok, true, JSON.stringify(ack));
    } finally {
      c.close();
    }
    await assertHealthy('burst');
  });

  test('1000 subscribes from one client: rate_limited acks and/or closed; others unaffected', { timeout: 60000 }, async () => {
    const c = await Client.connect(d, 'flooder');
    const t0 = Date.now();
    const results = await burst(c, 1000, 'subscribe_trading', { types: TRADING_TYPES });
    const elapsed = (Date.now() - t0) / 1000;
    console.log(`[flood] ${JSON.stringify(results)} in ${elapsed.toFixed(1)} s; disconnects ${JSON.stringify(c.disconnects)}`);
    const closed = c.disconnects.length > 0;
    assert.ok(results.rate_limited > 0 || closed, 'neither rate_limited acks nor a close');
    assert.equal(results.other, 0, 'no other error codes');
    // burst 50 + ~20/s sustained, with slack
    assert.ok(results.ok <= 50 + 20 * (elapsed + 1) + 10, `${results.ok} subscribes accepted in ${elapsed} s`);
    if (!closed) assert.equal(results.none, 0, 'every request of a still-connected client is answered');
    c.close();
    await d.waitStats((s) => s.hub.connections === healthy.length, 5000, 'flooder gone');
    await assertHealthy('flood');
  });

  test('a raw flood far beyond the limit closes the connection', { timeout: 60000 }, async () => {
    const r = await rawSession(true);
    const frame = '42["subscribe_trading",{"types":["balance"]}]';
    for (let i = 0; i < 5000 && !r.closed; i++) r.send(frame);
    const closed = await r.waitClosed(10000);
    console.log(`[flood] raw flood of 5000 events without ack: closed ${closed}, ${r.queue.length} frames received`);
    r.close();
    assert.ok(closed, 'a client sending 5000 events at once is disconnected');
    await assertHealthy('raw flood');
  });
});
