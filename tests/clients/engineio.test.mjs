// Engine.IO v4 (spec §1) against the echo server's /engine.io/ endpoint: raw WebSocket and raw HTTP
// long-polling, handshake fields, batching, binary, error bodies, upgrade and heartbeat.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RawSocket, http, pollingHandshake, sleep, startServer } from './helpers.mjs';

const PING_INTERVAL = 300;
const PING_TIMEOUT = 200;
const MAX_PAYLOAD = 100000;

let server;
let base;
before(async () => {
  server = await startServer([
    '--ping-interval', String(PING_INTERVAL),
    '--ping-timeout', String(PING_TIMEOUT),
    '--max-payload', String(MAX_PAYLOAD),
  ]);
  base = `${server.url}/engine.io/`;
});
after(async () => {
  const code = await server.stop();
  assert.equal(code, 0, `echo server exit code (stderr: ${server.stderr()})`);
});

const poll = (sid, opts) => http(`${base}?EIO=4&transport=polling&sid=${sid}`, opts);
const post = (sid, body) => poll(sid, { method: 'POST', body, headers: { 'content-type': 'text/plain;charset=UTF-8' } });

/** GETs until `want` text packets (pings answered with a POST "3") arrived; returns them. */
async function pollPackets(sid, want) {
  const got = [];
  const deadline = Date.now() + 3000;
  while (got.length < want && Date.now() < deadline) {
    const r = await poll(sid);
    assert.equal(r.status, 200, r.body);
    for (const p of r.body.split('\x1e')) {
      if (p === '2') await post(sid, '3');
      else got.push(p);
    }
  }
  return got;
}

function checkOpen(open, upgrades) {
  assert.deepEqual(Object.keys(open).sort(), ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades']);
  assert.equal(typeof open.sid, 'string');
  assert.ok(open.sid.length >= 16, `sid ${open.sid}`);
  assert.deepEqual(open.upgrades, upgrades);
  assert.equal(open.pingInterval, PING_INTERVAL);
  assert.equal(open.pingTimeout, PING_TIMEOUT);
  assert.equal(open.maxPayload, MAX_PAYLOAD);
}

describe('Engine.IO over WebSocket', () => {
  test('open packet has exactly the five fields, upgrades []', async () => {
    const ws = await RawSocket.open(`${server.wsUrl}/engine.io/?EIO=4&transport=websocket`);
    const open = await ws.nextText();
    assert.equal(open[0], '0');
    checkOpen(JSON.parse(open.slice(1)), []);
    ws.close();
  });

  test('text and binary messages are echoed as they came', async () => {
    const ws = await RawSocket.open(`${server.wsUrl}/engine.io/?EIO=4&transport=websocket`);
    await ws.nextText();
    ws.send('4hello');
    ws.send('4ünïcödé ✓');
    ws.send(Buffer.from([0, 1, 2, 255]));
    const frames = [];
    while (frames.length < 3) {
      const f = await ws.next();
      assert.notEqual(f, null, 'closed early');
      if (!f.binary && f.text === '2') { ws.send('3'); continue; }
      frames.push(f);
    }
    assert.deepEqual(frames[0], { binary: false, text: '4hello' });
    assert.deepEqual(frames[1], { binary: false, text: '4ünïcödé ✓' });
    assert.equal(frames[2].binary, true);
    assert.deepEqual([...frames[2].data], [0, 1, 2, 255]);
    ws.close();
  });

  test('heartbeat: ping every pingInterval; answering keeps the session', async () => {
    const ws = await RawSocket.open(`${server.wsUrl}/engine.io/?EIO=4&transport=websocket`);
    await ws.nextText();
    for (let i = 0; i < 3; ++i) {
      assert.equal(await ws.nextText(PING_INTERVAL + 500), '2');
      ws.send('3');
    }
    assert.equal(ws.closed, false);
    ws.close();
  });

  test('heartbeat: a client that does not answer pings is closed', async () => {
    const ws = await RawSocket.open(`${server.wsUrl}/engine.io/?EIO=4&transport=websocket`);
    await ws.nextText();
    assert.equal(await ws.nextText(PING_INTERVAL + 500), '2');
    assert.equal(await ws.waitClosed(PING_TIMEOUT + 1000), true);
  });

  test('a frame above maxPayload closes the connection', async () => {
    const ws = await RawSocket.open(`${server.wsUrl}/engine.io/?EIO=4&transport=websocket`);
    await ws.nextText();
    ws.send('4' + 'x'.repeat(MAX_PAYLOAD + 10));
    assert.equal(await ws.waitClosed(2000), true);
  });

  test('bad upgrade requests get a plain 400 before the upgrade', async () => {
    for (const q of ['EIO=4&transport=tobi', 'EIO=4&transport=websocket&sid=nope', 'EIO=3&transport=websocket']) {
      await assert.rejects(RawSocket.open(`${server.wsUrl}/engine.io/?${q}`, 2000), /400|Unexpected server response/, q);
    }
  });
});

describe('Engine.IO over HTTP long-polling', () => {
  test('handshake: 200, text/plain, open packet fields, upgrades ["websocket"]', async () => {
    const { open, response } = await pollingHandshake(server.url);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type'), /^text\/plain; ?charset=UTF-8$/i);
    checkOpen(open, ['websocket']);
  });

  test('POST is answered ok; messages are echoed and batched with \\x1e', async () => {
    const { sid } = await pollingHandshake(server.url);
    const r = await post(sid, '4hello\x1e4world\x1e4ünï');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'ok');
    assert.match(r.headers.get('content-type'), /^text\/html/);
    assert.deepEqual(await pollPackets(sid, 3), ['4hello', '4world', '4ünï']);
    await post(sid, '1');
  });

  test('binary over polling is b + base64', async () => {
    const { sid } = await pollingHandshake(server.url);
    assert.equal((await post(sid, 'bAQIDBA==\x1e4text')).body, 'ok');
    assert.deepEqual(await pollPackets(sid, 2), ['bAQIDBA==', '4text']);
    await post(sid, '1');
  });

  test('a pending GET is released when a message is queued', async () => {
    const { sid } = await pollingHandshake(server.url);
    const pending = poll(sid);
    await sleep(50);
    await post(sid, '4late');
    const r = await pending;
    assert.equal(r.status, 200);
    assert.ok(r.body.split('\x1e').includes('4late'), r.body);
    await post(sid, '1');
  });

  test('error bodies', async () => {
    const cases = [
      ['GET', `${base}?EIO=4&transport=tobi`, 400, { code: 0, message: 'Transport unknown' }],
      ['GET', `${base}?EIO=4`, 400, { code: 0, message: 'Transport unknown' }],
      ['GET', `${base}?EIO=4&transport=polling&sid=nope`, 400, { code: 1, message: 'Session ID unknown' }],
      ['POST', `${base}?EIO=4&transport=polling&sid=nope`, 400, { code: 1, message: 'Session ID unknown' }],
      ['POST', `${base}?EIO=4&transport=polling`, 400, { code: 2, message: 'Bad handshake method' }],
      ['GET', `${base}?EIO=3&transport=polling`, 400, { code: 5, message: 'Unsupported protocol version' }],
      ['GET', `${base}?transport=polling`, 400, { code: 5, message: 'Unsupported protocol version' }],
      ['GET', `${base}?EIO=4&transport=websocket`, 400, { code: 3, message: 'Bad request' }],
    ];
    for (const [method, url, status, body] of cases) {
      const r = await http(url, { method, body: method === 'POST' ? '4x' : undefined });
      assert.equal(r.status, status, `${method} ${url}: ${r.body}`);
      assert.match(r.headers.get('content-type'), /^application\/json/, `${method} ${url}`);
      assert.deepEqual(JSON.parse(r.body), body, `${method} ${url}`);
    }
  });

  test('heartbeat: ping arrives over polling; no pong -> session gone', async () => {
    const { sid } = await pollingHandshake(server.url);
    const r = await poll(sid, { timeoutMs: PING_INTERVAL + 1000 });
    assert.equal(r.status, 200);
    assert.equal(r.body, '2');
    await sleep(PING_TIMEOUT + 300);
    const after = await poll(sid);
    if (after.status === 200) assert.equal(after.body, '1'); // close packet delivered first
    else assert.deepEqual(JSON.parse(after.body), { code: 1, message: 'Session ID unknown' });
  });

  test('heartbeat: answering pongs keeps a polling session alive', async () => {
    const { sid } = await pollingHandshake(server.url);
    const deadline = Date.now() + 3 * PING_INTERVAL + 200;
    while (Date.now() < deadline) {
      const r = await poll(sid, { timeoutMs: PING_INTERVAL + 1000 });
      assert.equal(r.status, 200, r.body);
      assert.equal(r.body, '2');
      assert.equal((await post(sid, '3')).body, 'ok');
    }
    await post(sid, '1');
  });

  // The 413 goes out before the body is read; the server drains the rest before closing, so a
  // client still uploading reads the 413 instead of a connection reset.
  test('a POST body above maxPayload gets 413; the session stays open', async () => {
    const { sid } = await pollingHandshake(server.url);
    const r = await post(sid, '4' + 'x'.repeat(MAX_PAYLOAD * 200));
    assert.equal(r.status, 413);
    assert.equal((await post(sid, '4still here')).body, 'ok');
    assert.deepEqual(await pollPackets(sid, 1), ['4still here']);
    await post(sid, '1');
  });

  test('a malformed POST payload closes the session', async () => {
    const { sid } = await pollingHandshake(server.url);
    const r = await post(sid, 'abc');
    assert.ok(r.status === 200 || r.status === 400, `${r.status} ${r.body}`);
    await sleep(50);
    const after = await poll(sid);
    if (after.status === 200) assert.equal(after.body, '1');
    else assert.equal(after.status, 400);
  });

  test('client close packet ends the session', async () => {
    const { sid } = await pollingHandshake(server.url);
    assert.equal((await post(sid, '1')).body, 'ok');
    await sleep(50);
    const r = await poll(sid);
    assert.equal(r.status, 400);
    assert.deepEqual(JSON.parse(r.body), { code: 1, message: 'Session ID unknown' });
  });

  test('upgrade: 2probe/3probe, pending GET gets noop, 5 switches, polling then refused', async () => {
    const { sid } = await pollingHandshake(server.url);
    const ws = await RawSocket.open(`${server.wsUrl}/engine.io/?EIO=4&transport=websocket&sid=${sid}`);
    ws.send('2probe');
    assert.equal(await ws.nextText(), '3probe');
    const noop = await poll(sid);
    assert.equal(noop.status, 200);
    assert.equal(noop.body, '6');
    ws.send('5');
    ws.send('4after upgrade');
    let f;
    do {
      f = await ws.nextText();
      if (f === '2') ws.send('3');
    } while (f === '2');
    assert.equal(f, '4after upgrade');
    const refused = await poll(sid);
    assert.equal(refused.status, 400);
    assert.deepEqual(JSON.parse(refused.body), { code: 3, message: 'Bad request' });
    ws.close();
  });
});
