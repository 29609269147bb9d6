// tradepushd behind a real HAProxy that forwards with `send-proxy-v2`: the daemon sees each client as
// the address HAProxy names, so per-address limits apply to clients, not to the balancer, and logs
// show who connected. A client that talks to the daemon directly cannot name anyone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, sleep, spawnTied, startDaemon, stopChecked, waitFor } from './daemon.mjs';

let d;
let haproxy;
let port;
let dir;
let haproxyLog = '';

/** A free loopback port (closed again at once; HAProxy binds it right after). */
async function freePort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const p = s.address().port;
  await new Promise((resolve) => s.close(resolve));
  return p;
}

before(async () => {
  d = await startDaemon({
    server: { trusted_proxies: ['127.0.0.1'], proxy_protocol: true },
    limits: { max_sockets_per_address: 1 },
    log: { level: 'debug' },
  });
  port = await freePort();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-haproxy-'));
  const cfg = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(cfg, [
    'global',
    '    maxconn 256',
    'defaults',
    '    mode tcp',
    '    timeout connect 5s',
    '    timeout client 60s',
    '    timeout server 60s',
    'frontend clients',
    `    bind 127.0.0.1:${port}`,
    '    default_backend daemon',
    'backend daemon',
    `    server d1 127.0.0.1:${d.port} send-proxy-v2`,
    '',
  ].join('\n'));
  haproxy = spawnTied(['haproxy', '-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.stdout.on('data', (x) => { haproxyLog += x; });
  haproxy.stderr.on('data', (x) => { haproxyLog += x; });
  // Ready once it accepts connections.
  const canConnect = () => new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
  const deadline = Date.now() + 10000;
  while (!(await canConnect())) {
    if (Date.now() > deadline) throw new Error(`haproxy did not start:\n${haproxyLog}`);
    await sleep(50);
  }
});

after(async () => {
  haproxy?.kill('SIGTERM');
  if (d) await stopChecked(d);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const viaProxy = { url: () => `http://127.0.0.1:${port}` };

test('clients behind HAProxy are seen, logged and limited by their own address', async () => {
  const a = await Client.connect({ url: viaProxy.url() }, 'alice', { localAddress: '127.0.0.7' });
  try {
    await waitFor(() => /user alice connected from 127\.0\.0\.7 /.test(d.log()), 5000,
      'the daemon logs the client HAProxy named');
    // A second connection of the same client address is over its limit of 1 ...
    const b = new Client({ url: viaProxy.url() }, 'alice', { localAddress: '127.0.0.7' });
    await assert.rejects(b.connected());
    b.close();
    // ... while another client behind the same balancer gets in.
    const c = await Client.connect({ url: viaProxy.url() }, 'carol', { localAddress: '127.0.0.8' });
    c.close();
    // (127.0.0.1 is the trusted proxy itself: the daemon's own endpoints are reached through HAProxy.)
    const metrics = await (await fetch(`${viaProxy.url()}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    assert.match(metrics, /^tradepushd_connections_refused_total\{reason="max_sockets_per_address"\} [1-9]/m);
  } finally {
    a.close();
  }
});

test('HAProxy health checks (PROXY LOCAL) and a direct client cannot name an address', async () => {
  // The daemon itself trusts only 127.0.0.1: a client from 127.0.0.9 that sends a PROXY header is a
  // client sending garbage HTTP.
  const s = net.connect({ host: '127.0.0.1', port: d.port, localAddress: '127.0.0.9' });
  const got = [];
  s.on('data', (x) => got.push(x));
  await new Promise((resolve) => s.on('connect', resolve));
  s.write('PROXY TCP4 203.0.113.1 127.0.0.1 1234 80\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  await new Promise((resolve) => { s.on('close', resolve); s.on('error', resolve); setTimeout(resolve, 3000); });
  assert.doesNotMatch(Buffer.concat(got).toString(), /^HTTP\/1\.1 200/, 'no answer as if it were a client at 203.0.113.1');
  assert.doesNotMatch(d.log(), /203\.0\.113\.1/);
  // A direct connection from the trusted address without a header is refused.
  const r = await fetch(`http://127.0.0.1:${d.port}/healthz`, { signal: AbortSignal.timeout(3000) }).catch((e) => e);
  assert.ok(r instanceof Error, 'a trusted proxy address must send the PROXY header');
  // Through HAProxy, /healthz answers.
  const ok = await fetch(`${viaProxy.url()}/healthz`, { signal: AbortSignal.timeout(3000) });
  assert.equal(ok.status, 200);
});
