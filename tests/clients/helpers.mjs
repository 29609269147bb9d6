// Shared helpers for the conformance tests: start/stop the echo server, a raw WebSocket with a
// message queue, and Engine.IO polling requests. Everything is loopback-only with bounded waits.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';

export { sleep };

/** Starts tradepush_echo_server on a free port; resolves once it printed `listening on <port>`. */
export async function startServer(args = []) {
  const bin = process.env.TRADEPUSH_ECHO_SERVER;
  if (!bin) throw new Error('TRADEPUSH_ECHO_SERVER must point at the tradepush_echo_server binary');
  // TRADEPUSH_ECHO_ARGS adds flags to every server of a run (e.g. `--workers 2`).
  const extra = (process.env.TRADEPUSH_ECHO_ARGS || '').split(/\s+/).filter(Boolean);
  const proc = spawn(bin, ['--port', '0', '--host', '127.0.0.1', ...extra, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`echo server did not start: ${stderr}`)), 10000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = /^listening on (\d+)\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`echo server exited with ${code}: ${stderr}`));
    });
  });
  proc.stdout.resume();
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    proc,
    /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code (null if it had to be killed). */
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
      const exited = once(proc, 'exit');
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      const [code] = await exited;
      clearTimeout(timer);
      return code;
    },
    stderr: () => stderr,
  };
}

/** A raw WebSocket whose incoming frames queue up until next() takes them. */
export class RawSocket {
  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.waiters = [];
    this.closed = false;
    this.closeCode = undefined;
    ws.on('message', (data, isBinary) => {
      this.queue.push(isBinary ? { binary: true, data: Buffer.from(data) } : { binary: false, text: data.toString() });
      this.#wake();
    });
    ws.on('close', (code) => {
      this.closed = true;
      this.closeCode = code;
      this.#wake();
    });
    ws.on('error', () => {});
  }

  static async open(url, timeoutMs = 3000) {
    const ws = new WebSocket(url);
    const raw = new RawSocket(ws);
    await withTimeout(once(ws, 'open'), timeoutMs, `WebSocket open ${url}`);
    return raw;
  }

  #wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Next frame ({binary, text|data}); null if the socket closed first; throws after timeoutMs. */
  async next(timeoutMs = 3000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.queue.length) return this.queue.shift();
      if (this.closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for a frame');
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
  }

  /** Next frame, which must be text; returns the text. */
  async nextText(timeoutMs = 3000) {
    const f = await this.next(timeoutMs);
    if (f === null) throw new Error('socket closed while waiting for a text frame');
    if (f.binary) throw new Error(`expected text, got binary ${f.data.toString('hex')}`);
    return f.text;
  }

  /** Resolves true once the server closed the socket, false if still open after timeoutMs. */
  async waitClosed(timeoutMs = 3000) {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => { clearTimeout(t); resolve(); });
      });
    }
    return true;
  }

  send(data) {
    this.ws.send(data);
  }

  close() {
    this.ws.terminate();
  }
}

/** Rejects with `what` if `promise` does not settle within `ms`. */
export async function withTimeout(promise, ms, what = 'operation') {
  let timer;
  try {
    return await Promise.race([
      promise,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One HTTP request with a bounded wait: {status, headers, body}. */
export async function http(url, { method = 'GET', body, headers = {}, timeoutMs = 3000 } = {}) {
  const res = await fetch(url, { method, body, headers, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** Opens an Engine.IO polling session on `path`; returns {sid, open}. */
export async function pollingHandshake(base, path = '/engine.io/') {
  const r = await http(`${base}${path}?EIO=4&transport=polling`);
  if (r.status !== 200 || r.body[0] !== '0') throw new Error(`handshake failed: ${r.status} ${r.body}`);
  const open = JSON.parse(r.body.slice(1));
  return { sid: open.sid, open, response: r };
}
