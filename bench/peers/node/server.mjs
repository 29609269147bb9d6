// The Node socket.io 4.8 peer of the tradepush benchmark: bench/CONTRACT.md, written the way a socket.io
// server is normally written (auth middleware, rooms, io.to(room).emit), with the scripted upstream of
// bench/plugin/bench_exchange.cpp (same numbers, same timers).
//
// usage: node server.mjs --port P [--secret S] [--ticker-hz 10] [--private-hz 1] [--symbols 1]
// Prints "PID <pid>" and "READY <port>" on stdout; exits cleanly on SIGTERM/SIGINT.
import http from "node:http";
import crypto from "node:crypto";
import { performance } from "node:perf_hooks";
import { Server } from "socket.io";

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
function intArg(name, def, max) {
    const v = args[name] === undefined ? def : Number(args[name]);
    if (!Number.isInteger(v) || v < 0 || v > max) {
        console.error(`server.mjs: --${name} must be an integer 0..${max}`);
        process.exit(2);
    }
    return v;
}
const port = intArg("port", 0, 65535);
const secret = args.secret ?? "bench-secret-0123456789abcdef0123456789";
const tickerHz = intArg("ticker-hz", 10, 1000);
const privateHz = intArg("private-hz", 1, 100);
// The upstream's tickers are BTCUSDT, SYM1USDT … SYM<N-1>USDT (CONTRACT.md); like the others, this server
// opens any ticker on its first subscribe, so N is only checked (the one timer does the rest).
const symbolCount = intArg("symbols", 1, 64);
if (symbolCount < 1) {
    console.error("server.mjs: --symbols must be an integer 1..64");
    process.exit(2);
}
const EXCHANGE = "bench";
const ACCOUNT = "main";
const TYPES = ["balance", "positions", "pnl", "orders"];
const LEEWAY_S = 30;

// CLOCK_REALTIME in µs (an integer) and the monotonic clock in ms.
const realtimeUs = () => Math.round((performance.timeOrigin + performance.now()) * 1000);
const steadyMs = () => performance.now();

//--- JWT HS256 ---------------------------------------------------------------------------------------
const key = Buffer.from(secret);
/** Returns the `sub` of a valid HS256 token, or null. */
function verifyJwt(token) {
    if (typeof token !== "string") return null;
    const parts = token.split(".");
    if (parts.length !== 3) return null;
    try {
        const header = JSON.parse(Buffer.from(parts[0], "base64url").toString());
        if (header.alg !== "HS256") return null;
        const want = crypto.createHmac("sha256", key).update(`${parts[0]}.${parts[1]}`).digest();
        const got = Buffer.from(parts[2], "base64url");
        if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) return null;
        const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString());
        const now = Date.now() / 1000;
        if (typeof claims.exp !== "number" || claims.exp + LEEWAY_S < now) return null;
        if (typeof claims.nbf === "number" && claims.nbf - LEEWAY_S > now) return null;
        if (typeof claims.sub !== "string" || claims.sub === "") return null;
        return claims.sub;
    } catch {
        return null;
    }
}

//--- The scripted upstream (see bench/plugin/bench_exchange.cpp for the numbers) ----------------------
const tickers = new Map(); // "category:symbol" -> { category, symbol, room, changes, envelope }

function tickerData(symbol, n, emitUs) {
    const p = 970000 + (n % 2000);
    return {
        symbol, last_price: p / 10, mark_price: (p + 5) / 10, index_price: (p - 5) / 10,
        bid: (p - 1) / 10, bid_size: 1.5, ask: (p + 1) / 10, ask_size: 2.5, volume_24h: 12345 + n,
        emit_us: emitUs,
    };
}

function changeTicker(t, n, us = realtimeUs()) {
    t.changes = n;
    t.seq += 1;
    t.envelope = {
        exchange: EXCHANGE, category: t.category, symbol: t.symbol, seq: t.seq, ts: Math.floor(us / 1000),
        data: tickerData(t.symbol, n, us),
    };
}

function getTicker(category, symbol) {
    const id = `${category}:${symbol}`;
    let t = tickers.get(id);
    if (!t) {
        t = { category, symbol, room: `ticker:${EXCHANGE}:${category}:${symbol}`, changes: 0, seq: 0, envelope: null };
        changeTicker(t, 0);
        tickers.set(id, t);
        startTickerTimer();
    }
    return t;
}

// One steady timer for every ticker: next deadline = previous + period; after a stall, restart from now.
let tickerTimer = null;
let tickerDue = 0;
function startTickerTimer() {
    if (tickerHz === 0 || tickerTimer) return;
    const period = 1000 / tickerHz;
    tickerDue = steadyMs() + period;
    tickerTimer = setTimeout(onTickerTick, period);
}
function onTickerTick() {
    // Every open ticker changes at the same instant (one emit_us per tick, CONTRACT.md --symbols).
    const us = realtimeUs();
    for (const t of tickers.values()) {
        changeTicker(t, t.changes + 1, us);
        io.to(t.room).emit("ticker", t.envelope);
    }
    const period = 1000 / tickerHz;
    const now = steadyMs();
    tickerDue += period;
    if (tickerDue <= now) tickerDue = now + period;
    tickerTimer = setTimeout(onTickerTick, tickerDue - now);
}

// Users with at least one trading subscriber, in schedule order: user i of N changes at i * period / N.
const users = new Map(); // sub -> { sub, index, subscribers, changes, seq: {type: n}, envelopes: {type: env} }
const order = [];
let cursor = 0;
let cycleStart = 0;
let privateTimer = null;

function changeUser(u, m) {
    const us = realtimeUs();
    const ts = Math.floor(us / 1000);
    const q = m % 2000;
    u.changes = m;
    const data = {
        balance: { total_equity: (1000000 + q) / 100, available_balance: (800000 + q) / 100, emit_us: us },
        positions: {
            positions: [{ symbol: "BTCUSDT", side: "long", size: 0.01, entry_price: 97000, mark_price: (970000 + q) / 10, unrealised_pnl: q / 1000 }],
            emit_us: us,
        },
        pnl: { unrealised_pnl: q / 1000, realised_pnl: 125.5, total_pnl: (125500 + q) / 1000, emit_us: us },
        orders: { orders: [{ order_id: `o${m}`, symbol: "BTCUSDT", side: "buy", price: (960000 + q) / 10, qty: 0.01 }], emit_us: us },
    };
    for (const type of TYPES) {
        u.seq[type] += 1;
        u.envelopes[type] = { exchange: EXCHANGE, account: ACCOUNT, seq: u.seq[type], ts, data: data[type] };
    }
}

function openUser(sub) {
    let u = users.get(sub);
    if (u) return u;
    u = { sub, index: order.length, subscribers: 0, changes: 0, seq: { balance: 0, positions: 0, pnl: 0, orders: 0 }, envelopes: {}, rooms: {} };
    for (const type of TYPES) u.rooms[type] = `user:${sub}:${type}`;
    changeUser(u, 0);
    users.set(sub, u);
    order.push(u);
    if (privateHz > 0 && !privateTimer) {
        cycleStart = steadyMs();
        cursor = 1; // user 0 just got its initial state
        armPrivate(cycleStart);
    }
    return u;
}

function closeUser(u) {
    const last = order.pop();
    if (last !== u) {
        order[u.index] = last;
        last.index = u.index;
    }
    if (cursor > order.length) cursor = order.length;
    users.delete(u.sub);
    if (order.length === 0 && privateTimer) {
        clearTimeout(privateTimer);
        privateTimer = null;
    }
}

function armPrivate(now) {
    const period = 1000 / privateHz;
    const n = Math.max(order.length, 1);
    const due = cursor >= order.length ? cycleStart + period : cycleStart + (period * cursor) / n;
    privateTimer = setTimeout(onPrivateTick, Math.min(Math.max(due - now, 1), 20));
}

function stepUsers(from, to) {
    for (let i = from; i < to && i < order.length; ++i) {
        const u = order[i];
        changeUser(u, u.changes + 1);
        for (const type of TYPES) io.to(u.rooms[type]).emit(type, u.envelopes[type]);
    }
}

function onPrivateTick() {
    privateTimer = null;
    if (order.length === 0) return;
    const period = 1000 / privateHz;
    const now = steadyMs();
    if (now - cycleStart >= period) {
        stepUsers(cursor, order.length); // the rest of the previous cycle
        cycleStart += period;
        if (now - cycleStart >= period) cycleStart = now; // stalled: no catch-up
        cursor = 0;
    }
    const n = order.length;
    const due = Math.min(n, Math.floor(((now - cycleStart) * n) / period) + 1);
    if (due > cursor) {
        stepUsers(cursor, due);
        cursor = due;
    }
    armPrivate(now);
}

//--- The Socket.IO server ----------------------------------------------------------------------------
const httpServer = http.createServer();
const io = new Server(httpServer, {
    transports: ["websocket", "polling"],
    serveClient: false,
    // pingInterval 25000, pingTimeout 20000, maxHttpBufferSize 1e6, perMessageDeflate off: the defaults.
});

io.use((socket, next) => {
    const sub = verifyJwt(socket.handshake.auth?.token);
    if (!sub) return next(new Error("invalid token"));
    socket.data.user = sub;
    next();
});

io.on("connection", (socket) => {
    const sub = socket.data.user;
    let trading = null; // the user's session once this socket subscribed to trading

    socket.on("subscribe_ticker", (payload, ack) => {
        if (typeof ack !== "function") return;
        const p = payload && typeof payload === "object" ? payload : {};
        const exchange = p.exchange ?? EXCHANGE;
        const category = p.category ?? "linear";
        const symbols = p.symbols;
        if (exchange !== EXCHANGE || typeof category !== "string" || !Array.isArray(symbols) || symbols.length === 0 ||
            symbols.length > 50 || !symbols.every((s) => typeof s === "string" && s !== "")) {
            ack({ ok: false, error: { code: "invalid_request", message: "bad subscribe_ticker" } });
            return;
        }
        for (const symbol of symbols) {
            const t = getTicker(category, symbol);
            socket.join(t.room);
            socket.emit("ticker", t.envelope); // the current state right away
        }
        ack({ ok: true, symbols, exchange, category });
    });

    socket.on("subscribe_trading", (payload, ack) => {
        if (typeof ack !== "function") return;
        const p = payload && typeof payload === "object" ? payload : {};
        const types = p.types ?? TYPES;
        if (!Array.isArray(types) || types.length === 0 || !types.every((t) => TYPES.includes(t)) ||
            (p.account !== undefined && p.account !== ACCOUNT)) {
            ack({ ok: false, error: { code: "invalid_request", message: "bad subscribe_trading" } });
            return;
        }
        if (!trading) {
            trading = openUser(sub);
            trading.subscribers += 1;
        }
        for (const type of types) {
            socket.join(trading.rooms[type]);
            socket.emit(type, trading.envelopes[type]);
        }
        ack({ ok: true, types, account: ACCOUNT });
    });

    socket.on("disconnect", () => {
        if (trading && --trading.subscribers === 0) closeUser(trading);
        trading = null;
    });
});

httpServer.listen(port, "127.0.0.1", () => {
    console.log(`PID ${process.pid}`);
    console.log(`READY ${httpServer.address().port}`);
});

function shutdown() {
    clearTimeout(tickerTimer);
    clearTimeout(privateTimer);
    tickerTimer = privateTimer = null;
    io.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 3000).unref();
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
