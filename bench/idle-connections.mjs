// Opens N raw Engine.IO/Socket.IO WebSocket clients against tradepushd, each authenticated and
// subscribed to one ticker, keeps them idle (answering pings), and reports the daemon's RSS per
// connection from its /stats endpoint.
//
// usage: node bench/idle-connections.mjs --port P [--clients 10000] [--secret S] [--hold-ms 3000]
import { createRequire } from "node:module";
import crypto from "node:crypto";

const require = createRequire(new URL("../tests/clients/package.json", import.meta.url));
const WebSocket = require("ws");

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, a, i, all) => {
    if (a.startsWith("--")) acc.push([a.slice(2), all[i + 1]]);
    return acc;
}, []));
const port = Number(args.port);
const clients = Number(args.clients ?? 10000);
const secret = args.secret ?? "dev-only-change-me-0123456789abcdef";
const holdMs = Number(args["hold-ms"] ?? 3000);

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
function token(sub) {
    const body = `${b64({ alg: "HS256", typ: "JWT" })}.${b64({ sub, exp: Math.floor(Date.now() / 1000) + 3600 })}`;
    return `${body}.${crypto.createHmac("sha256", secret).update(body).digest("base64url")}`;
}

async function stats() {
    const res = await fetch(`http://127.0.0.1:${port}/stats`);
    return res.json();
}

const before = await stats();
let subscribed = 0, failed = 0;
const sockets = [];
const done = new Promise((resolve) => {
    const check = () => { if (subscribed + failed === clients) resolve(); };
    let i = 0;
    // Open in waves so the accept queue is not the thing measured.
    const wave = () => {
        for (let k = 0; k < 500 && i < clients; ++k, ++i) {
            const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
            const user = `u${i % 1000}`;
            let counted = false;
            ws.on("message", (data) => {
                const m = data.toString();
                if (m.startsWith("0")) ws.send(`40${JSON.stringify({ token: token(user) })}`);
                else if (m.startsWith("40")) ws.send(`421["subscribe_ticker",{"symbols":["BTCUSDT"]}]`);
                else if (m.startsWith("431") && !counted) { counted = true; ++subscribed; check(); }
                else if (m === "2") ws.send("3");
            });
            ws.on("error", () => { if (!counted) { counted = true; ++failed; check(); } });
            sockets.push(ws);
        }
        if (i < clients) setTimeout(wave, 50);
    };
    wave();
});
const t0 = Date.now();
await done;
const connectMs = Date.now() - t0;
await new Promise((r) => setTimeout(r, holdMs));
const after = await stats();
const perConn = (after.rss_bytes - before.rss_bytes) / subscribed;
console.log(JSON.stringify({
    clients, subscribed, failed, connect_ms: connectMs,
    rss_before: before.rss_bytes, rss_after: after.rss_bytes,
    rss_per_connection_bytes: Math.round(perConn),
    hub: after.hub, engine: after.engine,
}, null, 1));
for (const ws of sockets) ws.terminate();
process.exit(0);
