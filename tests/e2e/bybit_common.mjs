// Shared set-up of the Bybit end-to-end tests: the real tradepushd with the real Bybit plugin against
// tools/bybit-sim on loopback, users created through the simulator's control API and mapped to the
// daemon's JWT user ids by a 0600 credentials file.
//
// Needs TRADEPUSH_DAEMON, TRADEPUSH_BYBIT_SIM and TRADEPUSH_BYBIT_PLUGIN.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon, startSim, stopChecked, waitFor } from './daemon.mjs';

export const SANITIZED = Boolean(process.env.TRADEPUSH_SANITIZE);
/** Sanitizer builds are several times slower: time bounds that are not the product's contract stretch. */
export const SLOW = SANITIZED ? 5 : 1;

/** The sim key of test user `u` (its JWT sub). */
export const keyOf = (u) => `${u}-key`;
export const secretOf = (u) => `${u}-secret-never-logged`;

/** Credentials store text for the users: account "main" on bybit testnet (the plugin points all networks at the sim). */
export function credentialsToml(users, overrides = {}) {
  return users.map((u) => `[[users.${JSON.stringify(u)}]]\nlabel = "main"\nexchange = "bybit"\nnetwork = "testnet"\n` +
    `api_key = ${JSON.stringify(overrides[u]?.key ?? keyOf(u))}\napi_secret = ${JSON.stringify(overrides[u]?.secret ?? secretOf(u))}\n`).join('\n');
}

/** Creates `users` in the simulator: one read-write key each, 10000 USDT, and a BTCUSDT long 0.01 @ 64000. */
export async function createSimUsers(sim, users) {
  for (const u of users) {
    await sim.control('POST', '/sim/users', {
      user: u,
      keys: [{ key: keyOf(u), secret: secretOf(u), permissions: 'read_write' }],
      balances: { USDT: '10000' },
      positions: [{ symbol: 'BTCUSDT', size: '0.01', avgPrice: '64000', leverage: '10' }],
    });
  }
}

/**
 * Starts the simulator (prices move only on /sim/tick: deterministic), creates `users`, writes the
 * credentials file (0600) and starts the daemon with the Bybit plugin pointed at the simulator.
 * Returns {sim, d, dir, cleanup()}.
 */
export async function startStack({ users, plugin = {}, simArgs = ['--tick-ms', '0'], daemon = {}, credentialOverrides = {},
  upstreamConnections = 0 }) {
  const pluginFile = process.env.TRADEPUSH_BYBIT_PLUGIN;
  if (!pluginFile) throw new Error('TRADEPUSH_BYBIT_PLUGIN must point at libtradepush-bybit.so');
  const sim = await startSim({ args: simArgs });
  try {
    // Many clients and sessions come from one address: lift the per-IP limit (not under test here).
    await sim.control('POST', '/sim/faults', { ipLimitPer5s: 100000, wsConnectLimitPer5min: 100000 });
    await createSimUsers(sim, users);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradepush-bybit-e2e-'));
    const creds = path.join(dir, 'credentials.toml');
    fs.writeFileSync(creds, credentialsToml(users, credentialOverrides), { mode: 0o600 });
    fs.chmodSync(creds, 0o600);
    const d = await startDaemon({
      // The scripted feed never ticks; the plugin serves "bybit" instead of it anyway.
      feed: { tick_interval_ms: 0 },
      credentials: { file: creds },
      ...daemon,
      plugin: { file: pluginFile, config: sim.pluginConfig({ jitter_seed: 7, ...plugin }), upstreamConnections },
    });
    return {
      sim,
      d,
      dir,
      async cleanup() {
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await sim.stop();
    throw err;
  }
}

/** Stops what startStack started (a stack that never started is fine): the daemon must stop cleanly
 * and the simulator exit 0. */
export async function stopStack(stack) {
  if (!stack) return;
  await stopChecked(stack.d);
  const { code } = await stack.sim.stop();
  assert.equal(code, 0, `bybit-sim exit:\n${stack.sim.log().slice(-4000)}`);
  await stack.cleanup();
}

/** Terminates the client's underlying WebSocket without a close frame or Socket.IO disconnect (an app killed). */
export function hardKill(c) {
  const t = c.socket.io.engine?.transport;
  const ws = t?.ws;
  if (ws && typeof ws.terminate === 'function') ws.terminate();
  else if (ws?._socket) ws._socket.destroy();
  else throw new Error('no WebSocket to terminate');
  c.socket.io.reconnection(false);
}

/** stream_status events of client c after mark, as payloads. */
export function statuses(c, mark = 0) {
  return c.since(mark, 'stream_status').map((e) => e.args[0]);
}

/** Waits for a stream_status matching pred after mark; returns it. */
export async function waitStatus(c, mark, pred, timeoutMs, what) {
  await waitFor(() => statuses(c, mark).some(pred), timeoutMs,
    `${what}; statuses seen: ${JSON.stringify(statuses(c, mark))}`);
  return statuses(c, mark).find(pred);
}
