// A disposable app: connects with socket.io-client, subscribes to the trading streams, checks that all
// four snapshots arrive within 1 s of the ack, prints one JSON line with the result and then idles
// until the test kills it (SIGKILL: no disconnect packet, the kernel just closes the sockets).
//   node client_child.mjs URL TOKEN TRANSPORTS(comma list) [upgrade|ack]
// `upgrade`: report only once on websocket; `ack`: report right after the ack (snapshots in flight).
import { createRequire } from 'node:module';

const require = createRequire(new URL('../clients/package.json', import.meta.url));
const { io } = require('socket.io-client');

const [url, token, transports, mode] = process.argv.slice(2);
const TYPES = ['balance', 'positions', 'pnl', 'orders'];
const t0 = Date.now();
const report = (r) => process.stdout.write(`${JSON.stringify(r)}\n`);

const socket = io(url, {
  transports: transports.split(','),
  auth: { token },
  reconnection: false,
  forceNew: true,
  timeout: 5000,
});
const got = {};
for (const t of TYPES) socket.on(t, (p) => { if (!got[t]) got[t] = { p, t: Date.now() }; });

const fail = (error) => { report({ ok: false, error }); setTimeout(() => process.exit(1), 50); };
const giveUp = setTimeout(() => fail(`no result within 8 s (connected=${socket.connected}, got=${Object.keys(got)})`), 8000);

socket.on('connect_error', (e) => fail(`connect_error ${e.message} ${JSON.stringify(e.data)}`));
socket.on('connect', async () => {
  const tConnect = Date.now();
  let ack;
  try {
    ack = await socket.timeout(5000).emitWithAck('subscribe_trading', { types: TYPES });
  } catch (e) {
    return fail(`no ack: ${e.message}`);
  }
  const tAck = Date.now();
  if (!ack || ack.ok !== true) return fail(`ack ${JSON.stringify(ack)}`);
  if (mode === 'ack') {
    clearTimeout(giveUp);
    return report({ ok: true, acked: true, snapshotsBeforeAck: Object.keys(got) });
  }
  const deadline = tAck + 1000;
  while (TYPES.some((t) => !got[t]) && Date.now() < deadline + 3000) await new Promise((r) => setTimeout(r, 5));
  const lateness = Object.fromEntries(TYPES.map((t) => [t, got[t] ? got[t].t - tAck : null]));
  const late = TYPES.filter((t) => !got[t] || got[t].t > deadline);
  if (late.length) return fail(`snapshots not within 1 s of the ack: ${JSON.stringify(lateness)}`);
  if (mode === 'upgrade') {
    const until = Date.now() + 5000;
    while (socket.io.engine.transport.name !== 'websocket' && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  }
  clearTimeout(giveUp);
  report({
    ok: true,
    connectMs: tConnect - t0,
    lateness,
    transport: socket.io.engine.transport.name,
    seq: Object.fromEntries(TYPES.map((t) => [t, got[t].p.seq])),
    data: Object.fromEntries(TYPES.map((t) => [t, got[t].p.data])),
  });
  // Idle until SIGKILL; the socket keeps the process alive.
});
