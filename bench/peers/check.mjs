// Smoke check of a benchmark server against bench/CONTRACT.md: opens N raw WebSocket Socket.IO clients
// (the way the load generator does: no polling, CONNECT with {"token"}), subscribes each to the ticker
// and its four trading streams, listens for a while and checks acks, payload shapes, seq, ts, emit_us,
// the ticker and private rates and the spread of the private changes over the period. With --symbols N each
// client subscribes to the N tickers (BTCUSDT, SYM1USDT … SYM<N-1>USDT) in one subscribe_ticker, and every
// ticker must have its own seq, tick at the rate, and change at the same instant (emit_us) as the others.
//
// usage: node bench/peers/check.mjs --port P [--secret S] [--clients 50] [--duration-ms 3000]
//                                   [--ticker-hz 10] [--private-hz 1] [--symbols 1]
// The rates must be those the server was started with. Exit status 0 when everything holds, 1 otherwise.
import { createRequire } from "node:module";
import crypto from "node:crypto";

const require = createRequire(new URL("../../tests/clients/package.json", import.meta.url));
const WebSocket = require("ws");

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
if (!args.port) {
    console.error("usage: node bench/peers/check.mjs --port P [--secret S] [--clients 50] [--duration-ms 3000] [--ticker-hz 10] [--private-hz 1] [--symbols 1]");
    process.exit(2);
}
const port = Number(args.port);
const secret = args.secret ?? "bench-secret-0123456789abcdef0123456789";
const clients = Number(args.clients ?? 50);
const durationMs = Number(args["duration-ms"] ?? 3000);
const tickerHz = Number(args["ticker-hz"] ?? 10);
const privateHz = Number(args["private-hz"] ?? 1);
const symbolCount = Number(args.symbols ?? 1);
const SYMBOLS = Array.from({ length: symbolCount }, (_, k) => (k === 0 ? "BTCUSDT" : `SYM${k}USDT`));
const url = `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;

const TYPES = ["balance", "positions", "pnl", "orders"];
const DATA_KEYS = {
    ticker: ["symbol", "last_price", "mark_price", "index_price", "bid", "bid_size", "ask", "ask_size", "volume_24h", "emit_us"],
    balance: ["total_equity", "available_balance", "emit_us"],
    positions: ["positions", "emit_us"],
    pnl: ["unrealised_pnl", "realised_pnl", "total_pnl", "emit_us"],
    orders: ["orders", "emit_us"],
};
const ITEM_KEYS = {
    positions: ["symbol", "side", "size", "entry_price", "mark_price", "unrealised_pnl"],
    orders: ["order_id", "symbol", "side", "price", "qty"],
};

const errors = [];
const fail = (msg) => { if (errors.length < 30) errors.push(msg); };

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
function token(sub, key = secret) {
    const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
    return `${body}.${crypto.createHmac("sha256", key).update(body).digest("base64url")}`;
}
const nowUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const sameKeys = (obj, keys) => obj && typeof obj === "object" && !Array.isArray(obj) &&
    Object.keys(obj).sort().join() === [...keys].sort().join();
const isNum = (v) => typeof v === "number" && Number.isFinite(v);

// A refused CONNECT must be answered with 44.
async function checkRefusal() {
    return new Promise((resolve) => {
        const ws = new WebSocket(url);
        const timer = setTimeout(() => { fail("bad token: no answer to CONNECT within 3 s"); ws.terminate(); resolve(); }, 3000);
        ws.on("message", (d) => {
            const m = d.toString();
            if (m.startsWith("0")) ws.send(`40${JSON.stringify({ token: token("u0", "wrong-secret-wrong-secret-wrong-secret") })}`);
            else if (m.startsWith("44")) { clearTimeout(timer); ws.close(); resolve(); }
            else if (m.startsWith("40")) { fail(`bad token accepted: ${m}`); clearTimeout(timer); ws.close(); resolve(); }
        });
        ws.on("error", (e) => { fail(`bad token: ${e.message}`); clearTimeout(timer); resolve(); });
    });
}

// One client: returns its record of every push.
function runClient(i) {
    return new Promise((resolve) => {
        const user = `u${i + 1}`;
        const rec = { user, acks: {}, events: [], ackAt: {}, connected: false };
        const ws = new WebSocket(url);
        rec.ws = ws;
        ws.on("message", (d) => {
            const m = d.toString();
            const at = nowUs();
            if (m === "2") { ws.send("3"); return; }
            if (m.startsWith("0")) {
                const hs = JSON.parse(m.slice(1));
                if (hs.pingInterval !== 25000 || hs.pingTimeout !== 20000)
                    fail(`${user}: handshake pingInterval/pingTimeout ${hs.pingInterval}/${hs.pingTimeout}, want 25000/20000`);
                ws.send(`40${JSON.stringify({ token: token(user) })}`);
                return;
            }
            if (m.startsWith("44")) { fail(`${user}: CONNECT refused: ${m}`); ws.close(); resolve(rec); return; }
            if (m.startsWith("40")) {
                const p = JSON.parse(m.slice(2) || "{}");
                if (typeof p.sid !== "string") fail(`${user}: CONNECT answer without sid: ${m}`);
                rec.connected = true;
                rec.subAt = at;
                ws.send(`420["subscribe_ticker",{"symbols":${JSON.stringify(SYMBOLS)},"exchange":"bench","category":"linear"}]`);
                ws.send(`421["subscribe_trading",{"types":["balance","positions","pnl","orders"]}]`);
                resolve(rec);
                return;
            }
            if (m.startsWith("43")) {
                const match = /^43(\d+)(\[.*)$/s.exec(m);
                if (!match) { fail(`${user}: bad ack ${m}`); return; }
                rec.acks[match[1]] = JSON.parse(match[2])[0];
                rec.ackAt[match[1]] = at;
                return;
            }
            if (m.startsWith("42")) {
                const [name, payload] = JSON.parse(m.slice(2));
                rec.events.push({ name, payload, at });
                return;
            }
        });
        ws.on("error", (e) => { fail(`${user}: ${e.message}`); resolve(rec); });
    });
}

await checkRefusal();
const recs = [];
for (let i = 0; i < clients; i += 10)
    recs.push(...await Promise.all(Array.from({ length: Math.min(10, clients - i) }, (_, k) => runClient(i + k))));
await new Promise((r) => setTimeout(r, durationMs));
const endUs = nowUs();
for (const r of recs) r.ws.close();

// Evaluate.
const latencies = { ticker: [], private: [] };
let tickerChanges = 0, privateChanges = 0, snapshotsLate = 0, events = 0, tickAlignChecks = 0;
const phases = new Map(); // user -> emit_us of a private change modulo the period
const periodUs = privateHz > 0 ? 1e6 / privateHz : 0;
for (const r of recs) {
    if (!r.connected) continue;
    const ackT = r.acks["0"], ackP = r.acks["1"];
    const wantT = { ok: true, symbols: SYMBOLS, exchange: "bench", category: "linear" };
    if (JSON.stringify(ackT) !== JSON.stringify(wantT) && !(ackT && sameKeys(ackT, Object.keys(wantT)) &&
        ackT.ok === true && JSON.stringify(ackT.symbols) === JSON.stringify(SYMBOLS) && ackT.exchange === "bench" && ackT.category === "linear"))
        fail(`${r.user}: subscribe_ticker ack ${JSON.stringify(ackT)}`);
    if (!ackP || ackP.ok !== true || ackP.account !== "main" || JSON.stringify([...(ackP.types ?? [])].sort()) !== JSON.stringify([...TYPES].sort()))
        fail(`${r.user}: subscribe_trading ack ${JSON.stringify(ackP)}`);

    const byStream = new Map();
    const tickEmits = new Map(); // symbol -> Set of the emit_us of its changes
    for (const e of r.events) {
        ++events;
        const { name, payload: p, at } = e;
        if (!(name in DATA_KEYS)) { if (name !== "stream_status") fail(`${r.user}: unexpected event ${name}`); continue; }
        const envKeys = name === "ticker" ? ["exchange", "category", "symbol", "seq", "ts", "data"] : ["exchange", "account", "seq", "ts", "data"];
        if (!sameKeys(p, envKeys)) { fail(`${r.user}: ${name} envelope keys ${Object.keys(p ?? {})}`); continue; }
        if (p.exchange !== "bench") fail(`${r.user}: ${name} exchange ${p.exchange}`);
        if (name === "ticker" && (p.category !== "linear" || !SYMBOLS.includes(p.symbol))) fail(`${r.user}: ticker ${p.category}/${p.symbol}`);
        if (name !== "ticker" && p.account !== "main") fail(`${r.user}: ${name} account ${p.account}`);
        if (!Number.isInteger(p.seq) || !Number.isInteger(p.ts)) fail(`${r.user}: ${name} seq/ts not integers`);
        const d = p.data;
        if (!sameKeys(d, DATA_KEYS[name])) { fail(`${r.user}: ${name} data keys ${Object.keys(d ?? {})}`); continue; }
        if (!Number.isInteger(d.emit_us) || d.emit_us < 1.6e15) fail(`${r.user}: ${name} emit_us ${d.emit_us}`);
        if (Math.abs(p.ts - d.emit_us / 1000) > 1000) fail(`${r.user}: ${name} ts ${p.ts} far from emit_us ${d.emit_us}`);
        if (d.emit_us > at + 1000) fail(`${r.user}: ${name} emit_us in the future by ${d.emit_us - at} us`);
        if (name === "ticker") {
            for (const k of DATA_KEYS.ticker) if (k !== "symbol" && !isNum(d[k])) fail(`ticker.${k} not a number`);
            if (d.symbol !== p.symbol) fail(`ticker data symbol ${d.symbol} in the envelope of ${p.symbol}`);
        } else if (name === "positions" || name === "orders") {
            const list = d[name];
            if (!Array.isArray(list) || list.length !== 1 || !sameKeys(list[0], ITEM_KEYS[name])) fail(`${r.user}: ${name} items ${JSON.stringify(list)}`);
        } else {
            for (const k of DATA_KEYS[name]) if (!isNum(d[k])) fail(`${name}.${k} not a number`);
        }
        // Each ticker is its own stream (own seq); the private streams are one each.
        const stream = name === "ticker" ? `ticker:${p.symbol}` : name;
        const prev = byStream.get(stream);
        if (!prev) {
            // The first push of a stream is its current state: it must come right after the subscribe.
            if (at - r.subAt > 500_000) { ++snapshotsLate; fail(`${r.user}: first ${name} ${(at - r.subAt) / 1000} ms after subscribing`); }
        } else {
            if (p.seq !== prev.payload.seq + 1) fail(`${r.user}: ${name} seq ${prev.payload.seq} -> ${p.seq}`);
            if (d.emit_us <= prev.payload.data.emit_us) fail(`${r.user}: ${name} emit_us not increasing`);
            if (name === "ticker") {
                if (d.last_price === prev.payload.data.last_price) fail(`${r.user}: ticker last_price unchanged`);
                ++tickerChanges;
                latencies.ticker.push(at - d.emit_us);
                if (!tickEmits.has(p.symbol)) tickEmits.set(p.symbol, new Set());
                tickEmits.get(p.symbol).add(d.emit_us);
            } else {
                ++privateChanges;
                latencies.private.push(at - d.emit_us);
                if (name === "balance" && periodUs > 0) phases.set(r.user, d.emit_us % periodUs);
            }
        }
        byStream.set(stream, e);
    }
    for (const s of [...SYMBOLS.map((x) => `ticker:${x}`), ...TYPES])
        if (!byStream.has(s)) fail(`${r.user}: no ${s} at all`);
    // All tickers change at the same instant: the same emit_us, tick by tick (one tick of slack at each
    // end of the client's span, where a push may have arrived for one symbol and not yet for another).
    const first = tickEmits.get(SYMBOLS[0]) ?? new Set();
    for (const sym of SYMBOLS.slice(1)) {
        const other = tickEmits.get(sym) ?? new Set();
        const unmatched = [...first].filter((us) => !other.has(us)).length + [...other].filter((us) => !first.has(us)).length;
        ++tickAlignChecks;
        if (unmatched > 2) fail(`${r.user}: ${sym} changed at ${unmatched} instants ${SYMBOLS[0]} did not (or the reverse)`);
    }
}

const connected = recs.filter((r) => r.connected).length;
if (connected !== clients) fail(`${clients - connected} of ${clients} clients did not connect`);
// Rates per client over the time each client was subscribed (the first push of a stream is its state,
// not a change, so each client has about one change less than span * rate).
const spanS = recs.filter((r) => r.connected).reduce((acc, r) => acc + (endUs - r.subAt) / 1e6, 0);
const seconds = spanS / Math.max(connected, 1);
const tickerRate = tickerChanges / symbolCount / spanS;
const privateRate = privateChanges / 4 / spanS;
const near = (got, want) => want === 0 ? got === 0 : Math.abs(got - want) <= Math.max(0.35 * want, 1.01 / seconds);
if (!near(tickerRate, tickerHz)) fail(`ticker rate ${tickerRate.toFixed(2)}/s per client and symbol, want ${tickerHz}`);
if (!near(privateRate, privateHz)) fail(`private rate ${privateRate.toFixed(2)}/s per stream, want ${privateHz}`);

// Spread: the users' change phases within the period should cover it, not bunch up at one instant.
let spread = "n/a";
if (periodUs > 0 && phases.size >= 10) {
    const sorted = [...phases.values()].sort((a, b) => a - b);
    let maxGap = periodUs - sorted[sorted.length - 1] + sorted[0];
    for (let i = 1; i < sorted.length; ++i) maxGap = Math.max(maxGap, sorted[i] - sorted[i - 1]);
    const covered = 1 - maxGap / periodUs;
    spread = `${(covered * 100).toFixed(0)}% of the period covered by ${phases.size} users`;
    if (covered < 0.5) fail(`private changes bunched: ${spread}`);
}

const pct = (xs, p) => { if (!xs.length) return NaN; const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const ms = (us) => (us / 1000).toFixed(2);
console.log(`clients ${connected}/${clients}, symbols ${symbolCount}, events ${events}, ticker changes ${tickerChanges} (${tickerRate.toFixed(2)}/s per client and symbol, want ${tickerHz}), ` +
    `private changes ${privateChanges} (${privateRate.toFixed(2)}/s per stream, want ${privateHz})`);
console.log(`latency ms ticker p50 ${ms(pct(latencies.ticker, 0.5))} p99 ${ms(pct(latencies.ticker, 0.99))} max ${ms(pct(latencies.ticker, 1))}; ` +
    `private p50 ${ms(pct(latencies.private, 0.5))} p99 ${ms(pct(latencies.private, 0.99))} max ${ms(pct(latencies.private, 1))}; spread ${spread}`);
if (errors.length) {
    for (const e of errors) console.log(`FAIL ${e}`);
    process.exit(1);
}
console.log("OK");
process.exit(0);
