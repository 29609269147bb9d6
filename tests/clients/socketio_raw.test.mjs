// Socket.IO v5 wire rules checked with raw WebSocket frames (spec §2.2-2.4): exact encodings, the
// strict decoder, invalid state and connectTimeout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawSocket, http, pollingHandshake, sleep, startServer } from './helpers.mjs';

let server;
before(async () => { server = await startServer(['--ping-interval', '300', '--ping-timeout', '200', '--connect-timeout', '500']); });
after(async () => {
  const code = await server.stop();
  assert.equal(code, 0, `echo server exit code (stderr: ${server.stderr()})`);
});

/** A WebSocket-only Engine.IO session on /socket.io/, past the open packet. */
async function openSession() {
  const ws = await RawSocket.open(`${server.wsUrl}/socket.io/?EIO=4&transport=websocket`);
  const open = await ws.nextText();
  assert.match(open, /^0\{/);
  return ws;
}

/** Next text frame that is not a ping (answering it, like a client would). */
async function nextNonPing(ws) {
  for (;;) {
    const t = await ws.nextText();
    if (t !== '2') return t;
    ws.send('3');
  }
}

/** Session joined to `/`: returns {ws, sid}. */
async function joined(connectFrame = '40') {
  const ws = await openSession();
  ws.send(connectFrame);
  const reply = await nextNonPing(ws);
  assert.match(reply, /^40\{"sid":"[A-Za-z0-9_-]{20}"\}$/);
  assert.equal(await nextNonPing(ws), '42["auth",{}]');
  return { ws, sid: JSON.parse(reply.slice(2)).sid };
}

describe('namespace connection', () => {
  test('CONNECT / -> 40{"sid"} then auth event', async () => {
    const { ws, sid } = await joined();
    ws.close();
    assert.equal(sid.length, 20);
  });

  test('CONNECT with auth: the auth event carries it verbatim (key order kept)', async () => {
    const ws = await openSession();
    ws.send('40{"token":"123","z":1,"a":[true,null]}');
    assert.match(await nextNonPing(ws), /^40\{"sid":"[A-Za-z0-9_-]{20}"\}$/);
    assert.equal(await nextNonPing(ws), '42["auth",{"token":"123","z":1,"a":[true,null]}]');
    ws.close();
  });

  test('40/custom without a comma joins /custom', async () => {
    const ws = await openSession();
    ws.send('40/custom');
    assert.match(await nextNonPing(ws), /^40\/custom,\{"sid":"[A-Za-z0-9_-]{20}"\}$/);
    assert.equal(await nextNonPing(ws), '42/custom,["auth",{}]');
    ws.close();
  });

  test('each namespace connection gets a fresh id, never the Engine.IO sid', async () => {
    const ws = await RawSocket.open(`${server.wsUrl}/socket.io/?EIO=4&transport=websocket`);
    const eioSid = JSON.parse((await ws.nextText()).slice(1)).sid;
    ws.send('40');
    ws.send('40/custom,');
    const a = JSON.parse((await nextNonPing(ws)).slice(2)).sid;
    await nextNonPing(ws);
    const b = JSON.parse((await nextNonPing(ws)).slice('40/custom,'.length)).sid;
    ws.close();
    assert.notEqual(a, b);
    assert.notEqual(a, eioSid);
    assert.notEqual(b, eioSid);
  });

  test('unknown namespace -> 44{"message":"Invalid namespace"}, session stays open', async () => {
    const ws = await openSession();
    ws.send('40/random,');
    assert.equal(await nextNonPing(ws), '44/random,{"message":"Invalid namespace"}');
    ws.send('40');
    assert.match(await nextNonPing(ws), /^40\{"sid":/);
    ws.close();
  });

  test('41 leaves the namespace; the session stays open and keeps pinging', async () => {
    const { ws } = await joined();
    ws.send('41');
    // The suite expects the next frame to be a ping (pingInterval 300 ms here).
    assert.equal(await ws.nextText(2000), '2');
    ws.send('3');
    assert.equal(ws.closed, false);
    ws.close();
  });
});

describe('events and acks', () => {
  test('message -> message-back with the same arguments', async () => {
    const { ws } = await joined();
    ws.send('42["message",1,"2",{"3":[true]}]');
    assert.equal(await nextNonPing(ws), '42["message-back",1,"2",{"3":[true]}]');
    ws.close();
  });

  test('message-with-ack -> ACK with the same id and arguments', async () => {
    const { ws } = await joined();
    ws.send('4212["message-with-ack",1,"2",{"3":[false]}]');
    assert.equal(await nextNonPing(ws), '4312[1,"2",{"3":[false]}]');
    ws.send('42456["message-with-ack"]');
    assert.equal(await nextNonPing(ws), '43456[]');
    ws.close();
  });

  test('events in /custom carry the namespace', async () => {
    const ws = await openSession();
    ws.send('40/custom,');
    await nextNonPing(ws);
    await nextNonPing(ws);
    ws.send('42/custom,7["message-with-ack","x"]');
    assert.equal(await nextNonPing(ws), '43/custom,7["x"]');
    ws.close();
  });

  test('binary event: same placeholders, attachment as a binary frame', async () => {
    const { ws } = await joined();
    ws.send('451-["message",{"_placeholder":true,"num":0}]');
    ws.send(Buffer.from([1, 2, 3, 4]));
    assert.equal(await nextNonPing(ws), '451-["message-back",{"_placeholder":true,"num":0}]');
    const bin = await ws.next();
    assert.equal(bin.binary, true);
    assert.deepEqual([...bin.data], [1, 2, 3, 4]);
    ws.close();
  });

  test('binary ack with two attachments', async () => {
    const { ws } = await joined();
    ws.send('452-15["message-with-ack",{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]');
    ws.send(Buffer.from([9]));
    ws.send(Buffer.from([8, 7]));
    assert.equal(await nextNonPing(ws), '462-15[{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}}]');
    assert.deepEqual([...(await ws.next()).data], [9]);
    assert.deepEqual([...(await ws.next()).data], [8, 7]);
    ws.close();
  });
});

describe('strict decoder and invalid state close the Engine.IO connection', () => {
  const afterConnect = {
    'unknown packet type (4abc)': ['4abc'],
    'EVENT with an object payload (42{})': ['42{}'],
    'EVENT with an empty array (42[])': ['42[]'],
    'reserved event name (42["connect"])': ['42["connect"]'],
    'reserved event name (42["disconnecting"])': ['42["disconnecting"]'],
    'garbage before the payload (42abc["x"])': ['42abc["x"]'],
    'truncated JSON': ['42["message"'],
    'DISCONNECT with a payload': ['41{}'],
    'binary header with 0 attachments': ['450-["message"]'],
    'binary header without a count': ['45["message"]'],
    'text while an attachment is expected': ['451-["message",{"_placeholder":true,"num":0}]', '42["message"]'],
    'binary frame without a header': [Buffer.from([1, 2])],
    'placeholder index out of range': ['451-["message",{"_placeholder":true,"num":3}]'],
    'CONNECT for an already connected namespace': ['40'],
    'client CONNECT_ERROR': ['44{"message":"x"}'],
    'EVENT for a namespace that was not joined': ['42/custom,["message"]'],
  };
  for (const [name, frames] of Object.entries(afterConnect)) {
    test(name, async () => {
      const { ws } = await joined();
      for (const f of frames) ws.send(f);
      assert.equal(await ws.waitClosed(2000), true, 'connection should be closed');
    });
  }

  test('EVENT before any CONNECT', async () => {
    const ws = await openSession();
    ws.send('42["message"]');
    assert.equal(await ws.waitClosed(2000), true);
  });

  test('the connection is not closed by valid traffic', async () => {
    const { ws } = await joined();
    ws.send('42["message","ok"]');
    assert.equal(await nextNonPing(ws), '42["message-back","ok"]');
    // Three ping periods.
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline) {
      const f = await ws.next(1500);
      if (f && !f.binary && f.text === '2') ws.send('3');
    }
    assert.equal(ws.closed, false);
    ws.close();
  });
});

describe('connectTimeout (500 ms here)', () => {
  test('a session that joins no namespace is closed', async () => {
    const ws = await openSession();
    const started = Date.now();
    // Answer pings so only the connect timeout can close it.
    const closed = (async () => {
      for (;;) {
        const f = await ws.next(3000);
        if (f === null) return true;
        if (!f.binary && f.text === '2') ws.send('3');
      }
    })();
    assert.equal(await closed, true);
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 400 && elapsed < 2500, `closed after ${elapsed} ms`);
  });

  test('a refused namespace does not count as joined', async () => {
    const ws = await openSession();
    ws.send('40/random,');
    assert.equal(await nextNonPing(ws), '44/random,{"message":"Invalid namespace"}');
    const closed = (async () => {
      for (;;) {
        const f = await ws.next(3000);
        if (f === null) return true;
        if (!f.binary && f.text === '2') ws.send('3');
      }
    })();
    assert.equal(await closed, true);
  });

  test('a joined session outlives the timeout', async () => {
    const { ws } = await joined();
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline) {
      const f = await ws.next(1500);
      if (f && !f.binary && f.text === '2') ws.send('3');
    }
    assert.equal(ws.closed, false);
    ws.close();
  });

  test('over polling: the session is gone after the timeout', async () => {
    const { sid } = await pollingHandshake(server.url, '/socket.io/');
    await sleep(800);
    const r = await http(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`);
    // Either the pending close is delivered or the sid is already unknown.
    if (r.status === 200) assert.match(r.body, /(^|\x1e)1$/);
    else assert.deepEqual(JSON.parse(r.body), { code: 1, message: 'Session ID unknown' });
  });
});
