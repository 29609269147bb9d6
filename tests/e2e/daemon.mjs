// Shared helpers for the end-to-end tests: run tradepushd on a free loopback port with a temporary
// config, mint JWTs, read /stats, connect stock socket.io-client sockets and collect their pushes.
// Every wait is bounded; the daemon is killed when the test file ends, also on failure (and by the
// kernel, through PR_SET_PDEATHSIG, if the test process itself dies).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { withTimeout } from '../clients/helpers.mjs';

const require = createRequire(new URL('../clients/package.json', import.meta.url));
export const { io } = require('socket.io-client');
export const WebSocket = require('ws');
export { sleep };

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SECRET = 'test-secret-test-secret-test-secret-0123';
export const TRADING_TYPES = ['balance', 'positions', 'pnl', 'orders'];

/** Processes to SIGKILL if this test process exits without having stopped them. */
const children = new Set();
process.on('exit', () => {
  for (const p of children) {
    try { p.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/** Spawns `argv` so that it gets SIGKILL when this process dies (setpriv --pdeathsig). */
export function spawnTied(argv, opts = {}) {
  const proc = spawn('setpriv', ['--pdeathsig', 'SIGKILL', '--', ...argv], opts);
  children.add(proc);
  proc.on('exit', () => children.delete(proc));
  return proc;
}

// ------------------------------------------------------------------------------------- tradepushctl

/**
 * Runs the real tradepushctl ($TRADEPUSH_CTL) against the admin socket at `socketPath()` (a function:
 * tests create the socket's directory in `before`). `ctl(...args)` returns {code, out, err};
 * `ctlJson(...args)` runs with --json, requires exit 0 and ok, and returns the result.
 */
export function adminCli(socketPath, timeoutMs = 70000) {
  const ctl = (...args) => {
    const bin = process.env.TRADEPUSH_CTL;
    assert.ok(bin, 'TRADEPUSH_CTL must point at tradepushctl');
    const r = spawnSync(bin, ['--socket', socketPath(), ...args], { encoding: 'utf8', timeout: timeoutMs });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  const ctlJson = (...args) => {
    const r = ctl('--json', ...args);
    assert.equal(r.code, 0, `tradepushctl ${args.join(' ')}: ${r.err}${r.out}`);
    const reply = JSON.parse(r.out);
    assert.equal(reply.ok, true, r.out);
    return reply.result;
  };
  return { ctl, ctlJson };
}

// ---------------------------------------------------------------------------------------------- JWT

const b64u = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/**
 * Mints a JWT for user `sub`. Options: exp/nbf/iat (absolute seconds), alg ('HS256' | 'RS256' |
 * 'none'), secret, kid, extra claims, privateKey (for RS256).
 */
export function mintJwt(sub, opts = {}) {
  const now = Math.floor(Date.now() / 1000);
  const alg = opts.alg ?? 'HS256';
  const header = { alg, typ: 'JWT', ...(opts.kid ? { kid: opts.kid } : {}) };
  const claims = { ...(sub === undefined ? {} : { sub: String(sub) }), iat: opts.iat ?? now, exp: opts.exp ?? now + 3600 };
  if (opts.nbf !== undefined) claims.nbf = opts.nbf;
  Object.assign(claims, opts.claims ?? {});
  const input = `${b64u(header)}.${b64u(claims)}`;
  let sig;
  if (alg === 'HS256') sig = crypto.createHmac('sha256', opts.secret ?? SECRET).update(input).digest('base64url');
  else if (alg === 'RS256') sig = crypto.sign('sha256', Buffer.from(input), opts.privateKey).toString('base64url');
  else sig = '';
  return `${input}.${sig}`;
}

// ------------------------------------------------------------------------------------------- daemon

/** Config values the tests start from; `startDaemon({feed: {tick_interval_ms: 0}})` overrides. */
export const DEFAULT_CONFIG = {
  server: { listen: ['127.0.0.1:0'], workers: 2, ping_interval_ms: 25000, ping_timeout_ms: 20000 },
  limits: {
    max_pending_bytes: 4194304,
    slow_consumer_timeout_ms: 10000,
    socket_send_buffer: 0,
    max_symbols_per_request: 50,
    max_tickers_per_connection: 200,
    max_connections_per_user: 32,
    // Every test client connects from 127.0.0.1, and some files try dozens of bad tokens on purpose:
    // the per-address login back-off is off unless a test turns it on (edge_limits.test.mjs).
    failed_logins_per_address: 0,
    // Likewise for sockets and handshakes per address: the storm tests open hundreds at once.
    max_sockets_per_address: 0,
    handshakes_per_second_per_address: 0,
  },
  auth: { leeway_s: 30 },
  feed: { kind: 'scripted', tick_interval_ms: 1000, snapshot_delay_ms: 0 },
  log: { level: 'info' },
  // No admin socket unless a test asks for one (in its own temporary directory).
  admin: { socket: '' },
};

function tomlValue(v) {
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/**
 * With TRADEPUSH_E2E_PLUGIN set (a plugin .so), every daemon also loads that exchange plugin and
 * users' accounts live on it (exchange TRADEPUSH_E2E_EXCHANGE), so the same scenarios run through the
 * plugin host. The scripted feed's timing knobs become the plugin's (tick_ms, snapshot_delay_ms).
 */
export const EXCHANGE = process.env.TRADEPUSH_E2E_EXCHANGE ?? 'bybit';

function pluginToml(cfg, explicit) {
  if (explicit) {
    // startDaemon({plugin: {file, config, upstreamConnections}}): that plugin file with that JSON config
    // (an object or a string), and optionally [plugins] upstream_connections.
    const config = typeof explicit.config === 'string' ? explicit.config : JSON.stringify(explicit.config ?? {});
    const bound = explicit.upstreamConnections ? `upstream_connections = ${Number(explicit.upstreamConnections)}\n` : '';
    return `\n[plugins]\ndir = ${JSON.stringify(path.dirname(explicit.file))}\n${bound}[[plugins.load]]\n` +
      `file = ${JSON.stringify(path.basename(explicit.file))}\nconfig = ${JSON.stringify(config)}\n`;
  }
  const plugin = process.env.TRADEPUSH_E2E_PLUGIN;
  if (!plugin) return '';
  const config = JSON.stringify({ tick_ms: cfg.feed.tick_interval_ms, snapshot_delay_ms: cfg.feed.snapshot_delay_ms });
  return `\n[plugins]\ndir = ${JSON.stringify(path.dirname(plugin))}\n[[plugins.load]]\n` +
    `file = ${JSON.stringify(path.basename(plugin))}\nconfig = ${JSON.stringify(config)}\n`;
}

function toToml(cfg, plugin) {
  let out = '';
  for (const [table, values] of Object.entries(cfg)) {
    out += `[${table}]\n`;
    for (const [k, v] of Object.entries(values)) out += `${k} = ${tomlValue(v)}\n`;
    out += '\n';
  }
  out += `[[auth.keys]]\nalg = "HS256"\nsecret = ${JSON.stringify(SECRET)}\n`;
  return out + pluginToml(cfg, plugin);
}

/**
 * Starts tradepushd with DEFAULT_CONFIG merged with `overrides` (per table). Resolves once it
 * logged `listening on ... (port N)`. Returns a handle with url/port, stats(), waitStats(), stop().
 */
export async function startDaemon(allOverrides = {}) {
  const bin = process.env.TRADEPUSH_DAEMON;
  if (!bin) throw new Error('TRADEPUSH_DAEMON must point at the tradepushd binary');
  // `plugin: {file, config}` is not a config table: it loads that plugin (instead of TRADEPUSH_E2E_PLUGIN's).
  // `nofile: N` runs it with an open-file limit of N (prlimit), for out-of-descriptor tests.
  const { plugin, nofile, ...overrides } = allOverrides;
  const cfg = {};
  for (const [t, v] of Object.entries(DEFAULT_CONFIG)) cfg[t] = { ...v, ...(overrides[t] ?? {}) };
  // Tables the defaults do not have (e.g. credentials) are taken as given.
  for (const [t, v] of Object.entries(overrides)) if (!(t in cfg)) cfg[t] = v;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-e2e-'));
  const cfgPath = path.join(dir, 'tradepushd.toml');
  fs.writeFileSync(cfgPath, toToml(cfg, plugin));

  const argv = [bin, '--config', cfgPath];
  if (nofile) argv.unshift('prlimit', `--nofile=${nofile}:${nofile}`);
  const proc = spawnTied(argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d) => { log += d; if (log.length > 200000) log = log.slice(-100000); };
  proc.stderr.on('data', keep);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tradepushd did not start within 10 s:\n${log}`)), 10000);
    proc.stdout.on('data', (d) => {
      keep(d);
      const m = /listening on 127\.0\.0\.1:\d+ \(port (\d+)\)/.exec(log);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`tradepushd exited (${code ?? sig}):\n${log}`)); });
  }).catch((err) => {
    proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  const url = `http://127.0.0.1:${port}`;
  const d = {
    port,
    url,
    wsUrl: `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
    proc,
    config: cfg,
    /** The config file the daemon reads (rewrite it, then SIGHUP, to test a reload). */
    cfgPath,
    log: () => log,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    /** GET /stats as an object. */
    async stats() {
      const res = await fetch(`${url}/stats`, { signal: AbortSignal.timeout(5000) });
      if (res.status !== 200) throw new Error(`/stats: HTTP ${res.status}`);
      return res.json();
    },
    /** GET /metrics parsed into {'name{labels}': value}; checks the Prometheus text format on the way. */
    async metrics() {
      const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
      if (res.status !== 200) throw new Error(`/metrics: HTTP ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      return parseMetrics(await res.text());
    },
    /** Polls /stats until pred(stats) is true; throws with the last stats after timeoutMs. */
    async waitStats(pred, timeoutMs = 10000, what = 'stats condition') {
      const deadline = Date.now() + timeoutMs;
      let last;
      for (;;) {
        last = await d.stats();
        if (pred(last)) return last;
        if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms; last /stats: ${JSON.stringify(last)}`);
        await sleep(50);
      }
    },
    /** Waits until the daemon holds nothing for any user (DESIGN §4.3 baseline). */
    async waitIdle(timeoutMs = 10000) {
      return d.waitStats(isIdle, timeoutMs, 'idle baseline (no connections, users, streams, sessions)');
    },
    /** SIGTERM, SIGKILL after 5 s; resolves with {code, signal}. */
    async stop() {
      if (!d.alive()) {
        fs.rmSync(dir, { recursive: true, force: true });
        return { code: proc.exitCode, signal: proc.signalCode };
      }
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const [code, signal] = await exited;
      clearTimeout(t);
      fs.rmSync(dir, { recursive: true, force: true });
      return { code, signal };
    },
  };
  return d;
}

/**
 * Parses Prometheus text: every sample line `name{labels} value` becomes a key `name{labels}` (or `name`);
 * every family has HELP and TYPE lines before its samples. Throws on a line that fits neither.
 */
export function parseMetrics(text) {
  const out = {};
  const typed = new Set();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) /.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') typed.add(meta[2]);
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`/metrics: not a sample line: ${line}`);
    const family = m[1].replace(/_(bucket|sum|count)$/, '');
    if (!typed.has(m[1]) && !typed.has(family)) throw new Error(`/metrics: ${m[1]} has no TYPE line before it`);
    out[m[1] + (m[2] ?? '')] = Number(m[3]);
  }
  return out;
}

/** True when /stats shows no connection, user, stream, subscription, upstream or engine session. */
export function isIdle(s) {
  const h = s.hub;
  return h.connections === 0 && h.users === 0 && h.subscriptions === 0 && h.account_streams === 0 &&
    h.ticker_streams === 0 && h.open_accounts === 0 && s.engine.sessions === 0;
}

// ------------------------------------------------------------------------------------------ clients

export { withTimeout };

/** Stops the daemon and fails the test file if it died during the tests or did not exit 0. */
export async function stopChecked(d) {
  const alive = d.alive();
  const { code, signal } = await d.stop();
  assert.ok(alive, `tradepushd died during the tests:\n${d.log().slice(-4000)}`);
  assert.equal(code, 0, `tradepushd exit (signal ${signal}):\n${d.log().slice(-4000)}`);
}

/** Resolves when `cond()` is true (checked every 10 ms); throws `what` after timeoutMs. */
export async function waitFor(cond, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} (waited ${timeoutMs} ms)`);
    await sleep(10);
  }
}

/**
 * A socket.io-client socket that records every event it receives (name, args, arrival time) from
 * the moment it is created, so a push that arrives before its subscribe ack is never missed.
 */
export class Client {
  constructor(d, user, opts = {}) {
    this.user = String(user);
    this.events = [];
    this.disconnects = [];
    const { token = mintJwt(user), ...rest } = opts;
    this.socket = io(d.url, {
      reconnection: false,
      forceNew: true,
      timeout: 5000,
      transports: ['websocket'],
      auth: token === null ? undefined : { token },
      ...rest,
    });
    this.socket.onAny((event, ...args) => this.events.push({ event, args, t: Date.now() }));
    this.socket.on('disconnect', (reason) => this.disconnects.push({ reason, t: Date.now() }));
  }

  /** Connects; resolves with this, rejects with the connect_error. */
  static async connect(d, user, opts = {}) {
    const c = new Client(d, user, opts);
    await c.connected();
    return c;
  }

  connected(timeoutMs = 5000) {
    return withTimeout(new Promise((resolve, reject) => {
      if (this.socket.connected) return resolve(this);
      this.socket.once('connect', () => resolve(this));
      this.socket.once('connect_error', reject);
    }), timeoutMs, `connect of user ${this.user}`);
  }

  /** Emits with ack; resolves with {ack, tEmit, tAck}. */
  async request(event, payload, timeoutMs = 5000) {
    const tEmit = Date.now();
    const ack = await this.socket.timeout(timeoutMs).emitWithAck(event, payload);
    return { ack, tEmit, tAck: Date.now() };
  }

  /** Pushes of `event` (e.g. 'balance') received at or after time `since`; each {payload, t}. */
  pushes(event, since = 0) {
    return this.events.filter((e) => e.event === event && e.t >= since).map((e) => ({ payload: e.args[0], t: e.t }));
  }

  /** Events whose index is >= `from` (use `mark()` to take a position). */
  mark() { return this.events.length; }

  since(mark, event) {
    return this.events.slice(mark).filter((e) => event === undefined || e.event === event);
  }

  /** Waits until every event name in `names` was received after `mark`; returns them by name. */
  async waitEvents(mark, names, timeoutMs, what) {
    await waitFor(() => names.every((n) => this.since(mark, n).length > 0), timeoutMs,
      `${what ?? `user ${this.user}`}: missing ${names.filter((n) => this.since(mark, n).length === 0).join(',')}`);
    return Object.fromEntries(names.map((n) => [n, this.since(mark, n)[0]]));
  }

  close() { this.socket.disconnect(); }
}

/**
 * Subscribes `c` to the trading streams and checks the DESIGN §4.1 contract: ok ack, then a push
 * of every type whose arrival is at most `withinMs` after the ack (pushes before the ack count).
 * Returns {ack, snaps: {type: payload}, lateness: {type: ms after ack (negative = before)}}.
 */
export async function subscribeTrading(c, types = TRADING_TYPES, withinMs = 1000) {
  const mark = c.mark();
  const { ack, tAck } = await c.request('subscribe_trading', { types });
  if (!ack || ack.ok !== true) throw new Error(`subscribe_trading refused: ${JSON.stringify(ack)}`);
  const missing = () => types.filter((t) => c.since(mark, t).length === 0);
  const deadline = tAck + withinMs;
  while (missing().length && Date.now() <= deadline) await sleep(5);
  const miss = missing();
  if (miss.length) {
    // Keep waiting a little to tell "late" from "never" in the failure message.
    await waitFor(() => missing().length === 0, 4000, 'x').catch(() => {});
    const info = types.map((t) => {
      const e = c.since(mark, t)[0];
      return `${t}: ${e ? `${e.t - tAck} ms after ack` : 'never (5 s)'}`;
    }).join(', ');
    throw new Error(`user ${c.user}: snapshots of ${miss.join(',')} not within ${withinMs} ms of the ack (${info})`);
  }
  const snaps = {};
  const lateness = {};
  for (const t of types) {
    const e = c.since(mark, t)[0];
    snaps[t] = e.args[0];
    lateness[t] = e.t - tAck;
    if (lateness[t] > withinMs) throw new Error(`user ${c.user}: ${t} snapshot ${lateness[t]} ms after the ack`);
  }
  return { ack, snaps, lateness };
}

/** Checks a trading push envelope: exchange/account/seq/ts/data. */
export function checkEnvelope(p, what) {
  const ok = p && p.exchange === EXCHANGE && p.account === 'main' && Number.isInteger(p.seq) && p.seq >= 1 &&
    typeof p.ts === 'number' && p.data && typeof p.data === 'object';
  if (!ok) throw new Error(`${what}: bad push envelope ${JSON.stringify(p)}`);
}

/** A raw WebSocket with a queue of incoming text frames (for hand-made Engine.IO/Socket.IO). */
export class RawSocket {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.closed = false;
    this.closeCode = undefined;
    ws.on('message', (data) => this.queue.push(data.toString()));
    ws.on('close', (code) => { this.closed = true; this.closeCode = code; });
    ws.on('error', () => {});
  }

  static async open(url, opts = {}) {
    const ws = new WebSocket(url, opts);
    const raw = new RawSocket(ws);
    await withTimeout(once(ws, 'open'), 5000, `WebSocket open ${url}`);
    return raw;
  }

  /** Next text frame; null if closed first; throws after timeoutMs. */
  async next(timeoutMs = 5000) {
    await waitFor(() => this.queue.length > 0 || this.closed, timeoutMs, 'no frame');
    return this.queue.length ? this.queue.shift() : null;
  }

  /** Next frame that is not an Engine.IO ping (which it answers). */
  async nextPacket(timeoutMs = 5000) {
    for (;;) {
      const f = await this.next(timeoutMs);
      if (f !== '2') return f;
      this.send('3');
    }
  }

  /** True once the server closed the socket within timeoutMs. */
  async waitClosed(timeoutMs = 5000) {
    return waitFor(() => this.closed, timeoutMs, 'socket not closed').then(() => true, () => false);
  }

  send(s) { this.ws.send(s); }
  close() { this.ws.terminate(); }
}

// ------------------------------------------------------------------------------------ bybit simulator

/**
 * Starts tools/bybit-sim ($TRADEPUSH_BYBIT_SIM, or `bin`) on a free loopback port with extra `args`
 * (e.g. ['--tick-ms', '0']). Resolves once it printed `bybit-sim listening on 127.0.0.1:<port>`.
 * Returns {port, url, proc, log(), control(method, path, body), counters(), pluginConfig(extra), stop()};
 * control() resolves with the parsed JSON reply and throws unless it is {"ok":true}.
 */
export async function startSim({ args = [], bin = process.env.TRADEPUSH_BYBIT_SIM } = {}) {
  if (!bin) throw new Error('TRADEPUSH_BYBIT_SIM must point at the tradepush-bybit-sim binary');
  const proc = spawnTied([bin, '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (d) => { log += d; if (log.length > 200000) log = log.slice(-100000); };
  proc.stderr.on('data', keep);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bybit-sim did not start within 10 s:\n${log}`)), 10000);
    proc.stdout.on('data', (d) => {
      keep(d);
      const m = /bybit-sim listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code, sig) => { clearTimeout(timer); reject(new Error(`bybit-sim exited (${code ?? sig}):\n${log}`)); });
  }).catch((err) => { proc.kill('SIGKILL'); throw err; });
  const url = `http://127.0.0.1:${port}`;
  const sim = {
    port,
    url,
    proc,
    log: () => log,
    alive: () => proc.exitCode === null && proc.signalCode === null,
    async control(method, p, body) {
      const res = await fetch(`${url}${p}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      let json;
      try { json = JSON.parse(text); } catch { throw new Error(`bybit-sim ${method} ${p}: HTTP ${res.status} ${text}`); }
      if (json.ok !== true) throw new Error(`bybit-sim ${method} ${p}: ${text}`);
      return json;
    },
    async counters() { return (await sim.control('GET', '/sim/counters')).counters; },
    /** The bybit plugin's config pointing every network at this simulator, plus `extra` keys. */
    pluginConfig(extra = {}) {
      return {
        allow_insecure_loopback: true,
        rest_url: url,
        ws_public_linear_url: `ws://127.0.0.1:${port}/v5/public/linear`,
        ws_public_spot_url: `ws://127.0.0.1:${port}/v5/public/spot`,
        ws_private_url: `ws://127.0.0.1:${port}/v5/private`,
        ...extra,
      };
    },
    /** SIGTERM (SIGKILL after 5 s); resolves with {code, signal}. */
    async stop() {
      if (!sim.alive()) return { code: proc.exitCode, signal: proc.signalCode };
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const [code, signal] = await exited;
      clearTimeout(t);
      return { code, signal };
    },
  };
  return sim;
}
