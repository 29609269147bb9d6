// DESIGN §3: the JWT may also come in the handshake's `Authorization: Bearer` header instead of the
// CONNECT payload (node socket.io-client: extraHeaders for polling, transportOptions for websocket).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client, TRADING_TYPES, checkEnvelope, mintJwt, startDaemon, subscribeTrading, waitFor, stopChecked } from './daemon.mjs';

let d;
before(async () => { d = await startDaemon({ feed: { tick_interval_ms: 1000 } }); });
after(async () => {
  if (!d) return;
  await stopChecked(d);
});

const bearer = (user) => ({ Authorization: `Bearer ${mintJwt(user)}` });

const setups = {
  'polling with upgrade, extraHeaders': (u) => ({ transports: ['polling', 'websocket'], extraHeaders: bearer(u) }),
  'polling only, extraHeaders': (u) => ({ transports: ['polling'], extraHeaders: bearer(u) }),
  'websocket only, transportOptions.websocket.extraHeaders': (u) => ({
    transports: ['websocket'], transportOptions: { websocket: { extraHeaders: bearer(u) } },
  }),
};

for (const [name, opts] of Object.entries(setups)) {
  test(`Authorization: Bearer, ${name}: connects, subscribes, gets its own snapshots`, async () => {
    const user = `hdr-${name.split(' ')[0]}`;
    const c = await Client.connect(d, user, { token: null, ...opts(user) });
    try {
      const { snaps } = await subscribeTrading(c);
      for (const t of TRADING_TYPES) checkEnvelope(snaps[t], t);
      // The header's `sub` is the user: a payload-token connection of the same user sees the same account.
      const ref = await Client.connect(d, user);
      try {
        const r = await subscribeTrading(ref);
        const seq = r.snaps.positions.seq;
        await waitFor(() => c.pushes('positions').some((p) => p.payload.seq === seq), 3000, `positions seq ${seq} on the header connection`);
        const same = c.pushes('positions').find((p) => p.payload.seq === seq);
        assert.deepEqual(same.payload.data, r.snaps.positions.data, 'the header-authenticated connection sees the token user\'s account');
      } finally {
        ref.close();
      }
      const s = await d.stats();
      assert.equal(s.hub.users, 1);
    } finally {
      c.close();
    }
    await d.waitIdle(10000);
  });
}

test('Authorization header with a wrong scheme or bad token is refused', async () => {
  for (const [headers, code] of [
    [{ Authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` }, 'no_token'],
    [{ Authorization: `Bearer ${mintJwt('x', { secret: 'another-secret-another-secret-another-0123' })}` }, 'bad_signature'],
    [{ Authorization: `Bearer ${mintJwt('x', { exp: Math.floor(Date.now() / 1000) - 3600 })}` }, 'token_expired'],
  ]) {
    const c = new Client(d, 'x', { token: null, transports: ['websocket'], transportOptions: { websocket: { extraHeaders: headers } } });
    try {
      await assert.rejects(c.connected(), (err) => {
        assert.equal(err.message, 'unauthorized');
        assert.equal(err.data?.code, code, JSON.stringify(headers));
        return true;
      });
    } finally {
      c.close();
    }
  }
});
