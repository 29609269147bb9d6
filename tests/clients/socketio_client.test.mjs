// socket.io-client 4.8 against the echo server, over each transport setup a real app may use.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { io } from 'socket.io-client';
import { startServer, withTimeout } from './helpers.mjs';

const transports = {
  'websocket only': { transports: ['websocket'] },
  'polling with upgrade': { transports: ['polling', 'websocket'] },
  'polling only': { transports: ['polling'] },
};

let server;
before(async () => { server = await startServer(); });
after(async () => {
  const code = await server.stop();
  assert.equal(code, 0, `echo server exit code (stderr: ${server.stderr()})`);
});

/** Connects and resolves with {socket, auth} once both `connect` and the server's `auth` event arrived. */
async function connect(nsp, opts) {
  const socket = io(`${server.url}${nsp}`, { reconnection: false, timeout: 3000, forceNew: true, ...opts });
  const auth = withTimeout(once(socket, 'auth'), 3000, `auth event on ${nsp}`);
  auth.catch(() => {}); // awaited below only when the connect succeeded
  const connected = withTimeout(
    new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    }),
    3000,
    `connect to ${nsp}`,
  );
  try {
    await connected;
  } catch (err) {
    socket.disconnect();
    throw err;
  }
  const [payload] = await auth;
  return { socket, auth: payload };
}

/** Emits `message` and resolves with the arguments of the next `message-back`. */
function roundTrip(socket, ...args) {
  const back = withTimeout(
    new Promise((resolve) => socket.once('message-back', (...got) => resolve(got))),
    3000,
    'message-back',
  );
  socket.emit('message', ...args);
  return back;
}

/** Buffers/ArrayBuffers compared by content, anything else deeply. */
function normalize(v) {
  if (Buffer.isBuffer(v)) return { buffer: v.toString('hex') };
  if (v instanceof ArrayBuffer) return { buffer: Buffer.from(v).toString('hex') };
  if (ArrayBuffer.isView(v)) return { buffer: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

for (const [name, opts] of Object.entries(transports)) {
  describe(`socket.io-client, ${name}`, () => {
    test('connect to / with auth: auth event equals the payload', async () => {
      const auth = { token: 'abc', n: 1, nested: { list: [1, 'two', null] } };
      const { socket, auth: got } = await connect('/', { ...opts, auth });
      try {
        assert.deepEqual(got, auth);
        assert.equal(typeof socket.id, 'string');
        assert.equal(socket.id.length, 20);
        assert.notEqual(socket.id, socket.io.engine.id, 'public socket id must not be the Engine.IO sid');
      } finally {
        socket.disconnect();
      }
    });

    test('connect without auth: auth event is {}', async () => {
      const { socket, auth } = await connect('/', opts);
      socket.disconnect();
      assert.deepEqual(auth, {});
    });

    test('connect to /custom with auth', async () => {
      const { socket, auth } = await connect('/custom', { ...opts, auth: { token: 'custom' } });
      socket.disconnect();
      assert.deepEqual(auth, { token: 'custom' });
    });

    test('message / message-back with strings, numbers and objects', async () => {
      const { socket } = await connect('/', opts);
      try {
        const cases = [
          ['hello'],
          ['unicode ✓ ünïcödé 🚀', ''],
          [1, 2.5, -3, 0, 1e21],
          [{ a: 1, b: [true, false, null], c: { d: 'e' } }],
          [[1, [2, [3]]], 'x', { z: 1, a: 2 }],
        ];
        for (const args of cases) {
          assert.deepEqual(await roundTrip(socket, ...args), args);
        }
      } finally {
        socket.disconnect();
      }
    });

    test('message / message-back with binary arguments', async () => {
      const { socket } = await connect('/', opts);
      try {
        const args = [
          Buffer.from([1, 2, 3, 0, 255]),
          'text between',
          { nested: Buffer.from('nested bytes'), list: [Buffer.alloc(0), 7] },
        ];
        const got = await roundTrip(socket, ...args);
        assert.deepEqual(normalize(got), normalize(args));
      } finally {
        socket.disconnect();
      }
    });

    test('many messages keep their order', async () => {
      const { socket } = await connect('/', opts);
      try {
        const got = [];
        const done = withTimeout(
          new Promise((resolve) => socket.on('message-back', (i) => { got.push(i); if (got.length === 200) resolve(); })),
          5000,
          '200 message-back',
        );
        for (let i = 0; i < 200; ++i) socket.emit('message', i);
        await done;
        assert.deepEqual(got, [...Array(200).keys()]);
      } finally {
        socket.disconnect();
      }
    });

    test('ack round trip', async () => {
      const { socket } = await connect('/', opts);
      try {
        const args = [1, '2', { 3: [true] }];
        const got = await new Promise((resolve, reject) => {
          socket.timeout(3000).emit('message-with-ack', ...args, (err, ...ackArgs) => (err ? reject(err) : resolve(ackArgs)));
        });
        assert.deepEqual(got, args);
        assert.equal(await socket.timeout(3000).emitWithAck('message-with-ack', 'only'), 'only');
      } finally {
        socket.disconnect();
      }
    });

    test('binary ack round trip', async () => {
      const { socket } = await connect('/', opts);
      try {
        const args = ['x', Buffer.from([9, 8, 7])];
        const got = await new Promise((resolve, reject) => {
          socket.timeout(3000).emit('message-with-ack', ...args, (err, ...ackArgs) => (err ? reject(err) : resolve(ackArgs)));
        });
        assert.deepEqual(normalize(got), normalize(args));
      } finally {
        socket.disconnect();
      }
    });

    test('invalid namespace: connect_error "Invalid namespace"', async () => {
      const socket = io(`${server.url}/random`, { ...opts, reconnection: false, forceNew: true, timeout: 3000 });
      try {
        const [err] = await withTimeout(once(socket, 'connect_error'), 3000, 'connect_error');
        assert.equal(err.message, 'Invalid namespace');
      } finally {
        socket.disconnect();
      }
    });

    test('two namespaces multiplexed on one connection', async () => {
      // io() caches "/" on the manager, so its auth is given here; "/custom" shares the manager.
      const a = io(`${server.url}/`, { ...opts, reconnection: false, forceNew: true, autoConnect: false, auth: { who: 'root' } });
      const b = a.io.socket('/custom', { auth: { who: 'custom' } });
      try {
        const authA = withTimeout(once(a, 'auth'), 3000, 'auth on /');
        const authB = withTimeout(once(b, 'auth'), 3000, 'auth on /custom');
        a.connect();
        b.connect();
        assert.deepEqual((await authA)[0], { who: 'root' });
        assert.deepEqual((await authB)[0], { who: 'custom' });
        assert.notEqual(a.id, b.id);
        assert.deepEqual(await roundTrip(b, 'via custom'), ['via custom']);
        // Leaving one namespace leaves the other working.
        a.disconnect();
        assert.deepEqual(await roundTrip(b, 'still there'), ['still there']);
      } finally {
        a.disconnect();
        b.disconnect();
      }
    });

    if (opts.transports.length === 2) {
      test('the polling session upgrades to websocket', async () => {
        const { socket } = await connect('/', opts);
        try {
          const engine = socket.io.engine;
          if (engine.transport.name !== 'websocket') {
            await withTimeout(once(engine, 'upgrade'), 3000, 'upgrade');
          }
          assert.equal(engine.transport.name, 'websocket');
          assert.deepEqual(await roundTrip(socket, 'after upgrade', Buffer.from([1])), ['after upgrade', Buffer.from([1])]);
        } finally {
          socket.disconnect();
        }
      });
    }
  });
}
