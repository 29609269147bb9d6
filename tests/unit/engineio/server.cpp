// Engine.IO server over real loopback sockets: polling, WebSocket, upgrade, errors, heartbeat.
#include "engineio/server_fixture.hpp"

using namespace tradepush::engineio;
using namespace tradepush::engineio::test;

TEST_CASE("polling handshake sends exactly the open packet fields", "[engineio][server]")
{
    fixture f(test_options());
    auto res = f.request(http::verb::get, "/engine.io/?EIO=4&transport=polling");
    CHECK(res.result_int() == 200);
    CHECK(res[http::field::content_type] == "text/plain; charset=UTF-8");
    auto open = boost::json::parse(res.body().substr(1)).as_object();
    CHECK(open.size() == 5);
    CHECK(open.at("sid").as_string().size() == 20);
    CHECK(open.at("upgrades").as_array() == boost::json::array{"websocket"});
    CHECK(open.at("pingInterval").as_int64() == 300);
    CHECK(open.at("pingTimeout").as_int64() == 200);
    CHECK(open.at("maxPayload").as_int64() == 1000000);
}

TEST_CASE("polling echo batches packets with the record separator, binary as b64", "[engineio][server]")
{
    fixture f(test_options());
    auto sid = f.handshake();
    auto post = f.request(http::verb::post, "/engine.io/?EIO=4&transport=polling&sid=" + sid, "4hello\x1e" "bAQIDBA==\x1e" "4world");
    CHECK(post.result_int() == 200);
    CHECK(post.body() == "ok");
    auto get = f.request(http::verb::get, "/engine.io/?EIO=4&transport=polling&sid=" + sid);
    CHECK(get.body() == "4hello\x1e" "bAQIDBA==\x1e" "4world");
}

TEST_CASE("reference error codes and bodies", "[engineio][server]")
{
    fixture f(test_options());
    auto unknown_transport = f.request(http::verb::get, "/engine.io/?EIO=4&transport=carrier-pigeon");
    CHECK(unknown_transport.result_int() == 400);
    CHECK(unknown_transport.body() == R"({"code":0,"message":"Transport unknown"})");
    auto unknown_sid = f.request(http::verb::get, "/engine.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA");
    CHECK(unknown_sid.body() == R"({"code":1,"message":"Session ID unknown"})");
    auto bad_method = f.request(http::verb::post, "/engine.io/?EIO=4&transport=polling", "4x");
    CHECK(bad_method.body() == R"({"code":2,"message":"Bad handshake method"})");
    auto ws_no_upgrade = f.request(http::verb::get, "/engine.io/?EIO=4&transport=websocket");
    CHECK(ws_no_upgrade.body() == R"({"code":3,"message":"Bad request"})");
    auto eio3 = f.request(http::verb::get, "/engine.io/?EIO=3&transport=polling");
    CHECK(eio3.body() == R"({"code":5,"message":"Unsupported protocol version"})");
    auto no_eio = f.request(http::verb::get, "/engine.io/?transport=polling");
    CHECK(no_eio.body() == R"({"code":5,"message":"Unsupported protocol version"})");
    auto binary_post = f.request(http::verb::post, "/engine.io/?EIO=4&transport=polling&sid=" + f.handshake(), "x",
        "application/octet-stream");
    CHECK(binary_post.result_int() == 400);
    auto health = f.request(http::verb::get, "/healthz");
    CHECK(health.body() == "ok");
    CHECK(f.request(http::verb::get, "/nope").result_int() == 404);
}

TEST_CASE("oversized POST gets 413 and the session survives", "[engineio][server]")
{
    auto o = test_options();
    o.max_payload = 1000;
    fixture f(o);
    auto sid = f.handshake();
    auto res = f.request(http::verb::post, "/engine.io/?EIO=4&transport=polling&sid=" + sid, "4" + std::string(2000, 'a'));
    CHECK(res.result_int() == 413);
    CHECK(f.request(http::verb::post, "/engine.io/?EIO=4&transport=polling&sid=" + sid, "4ok").body() == "ok");
}

TEST_CASE("heartbeat: a client that never pongs is gone after pingInterval+pingTimeout", "[engineio][server]")
{
    fixture f(test_options());
    auto sid = f.handshake();
    auto first = f.request(http::verb::get, "/engine.io/?EIO=4&transport=polling&sid=" + sid);
    CHECK(first.body() == "2"); // server ping after pingInterval
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    auto gone = f.request(http::verb::get, "/engine.io/?EIO=4&transport=polling&sid=" + sid);
    CHECK(gone.result_int() == 400);
    CHECK(gone.body() == R"({"code":1,"message":"Session ID unknown"})");
    CHECK(*f.closes == 1);
}

TEST_CASE("heartbeat: answering pongs keeps the session", "[engineio][server]")
{
    fixture f(test_options());
    auto sid = f.handshake();
    for(int i = 0; i < 3; ++i) {
        auto ping = f.request(http::verb::get, "/engine.io/?EIO=4&transport=polling&sid=" + sid);
        REQUIRE(ping.body() == "2");
        REQUIRE(f.request(http::verb::post, "/engine.io/?EIO=4&transport=polling&sid=" + sid, "3").body() == "ok");
    }
    CHECK(*f.closes == 0);
}

TEST_CASE("websocket-only session echoes text and binary frames", "[engineio][server]")
{
    fixture f(test_options());
    net::io_context c;
    websocket::stream<beast::tcp_stream> ws(c);
    beast::get_lowest_layer(ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), f.srv->port()));
    ws.handshake("127.0.0.1", "/engine.io/?EIO=4&transport=websocket");
    beast::flat_buffer buf;
    ws.read(buf);
    auto open = beast::buffers_to_string(buf.data());
    CHECK(open.starts_with("0{\"sid\":"));
    CHECK(open.find("\"upgrades\":[]") != std::string::npos);
    buf.clear();
    ws.text(true);
    ws.write(net::buffer(std::string("4hello")));
    ws.read(buf);
    CHECK(beast::buffers_to_string(buf.data()) == "4hello");
    CHECK(ws.got_text());
    buf.clear();
    ws.binary(true);
    ws.write(net::buffer(std::string("\x01\x02\x03", 3)));
    ws.read(buf);
    CHECK(beast::buffers_to_string(buf.data()) == std::string("\x01\x02\x03", 3));
    CHECK(ws.got_binary());
    ws.close(websocket::close_code::normal);
}

TEST_CASE("polling to websocket upgrade: 2probe/3probe, noop to polling, then 5", "[engineio][server]")
{
    fixture f(test_options());
    auto sid = f.handshake();
    net::io_context c;
    websocket::stream<beast::tcp_stream> ws(c);
    beast::get_lowest_layer(ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), f.srv->port()));
    ws.handshake("127.0.0.1", "/engine.io/?EIO=4&transport=websocket&sid=" + sid);
    ws.text(true);
    ws.write(net::buffer(std::string("2probe")));
    beast::flat_buffer buf;
    ws.read(buf);
    CHECK(beast::buffers_to_string(buf.data()) == "3probe");
    buf.clear();
    // While upgrading, a poll is released with a noop.
    CHECK(f.request(http::verb::get, "/engine.io/?EIO=4&transport=polling&sid=" + sid).body() == "6");
    ws.write(net::buffer(std::string("5")));
    ws.write(net::buffer(std::string("4after")));
    ws.read(buf);
    CHECK(beast::buffers_to_string(buf.data()) == "4after");
    // After the upgrade, polling on that sid is a transport mismatch.
    CHECK(f.request(http::verb::get, "/engine.io/?EIO=4&transport=polling&sid=" + sid).body()
        == R"({"code":3,"message":"Bad request"})");
    ws.close(websocket::close_code::normal);
}

TEST_CASE("bad websocket upgrade is refused before upgrading with a raw 400", "[engineio][server]")
{
    fixture f(test_options());
    net::io_context c;
    websocket::stream<beast::tcp_stream> ws(c);
    beast::get_lowest_layer(ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), f.srv->port()));
    websocket::response_type res;
    beast::error_code ec;
    ws.handshake(res, "127.0.0.1", "/engine.io/?EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA", ec);
    CHECK(ec);
    CHECK(res.result_int() == 400);
    CHECK(res.body() == "Session ID unknown");
}

TEST_CASE("CORS: listed origins get Access-Control headers, preflight answers 204", "[engineio][server]")
{
    auto o = test_options();
    o.cors.origins = {"https://app.example"};
    o.cors.credentials = true;
    fixture f(o);

    auto with_origin = [&](http::verb verb, std::string target, std::string origin) {
        net::io_context c;
        beast::tcp_stream stream(c);
        stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), f.srv->port()));
        http::request<http::string_body> req(verb, target, 11);
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::origin, origin);
        http::write(stream, req);
        beast::flat_buffer buf;
        http::response<http::string_body> res;
        http::read(stream, buf, res);
        return res;
    };

    auto ok = with_origin(http::verb::get, "/engine.io/?EIO=4&transport=polling", "https://app.example");
    CHECK(ok.result_int() == 200);
    CHECK(ok[http::field::access_control_allow_origin] == "https://app.example");
    CHECK(ok[http::field::access_control_allow_credentials] == "true");

    auto other = with_origin(http::verb::get, "/engine.io/?EIO=4&transport=polling", "https://evil.example");
    CHECK(other.result_int() == 200);
    CHECK(other[http::field::access_control_allow_origin].empty());

    auto preflight = with_origin(http::verb::options, "/engine.io/?EIO=4&transport=polling", "https://app.example");
    CHECK(preflight.result_int() == 204);
    CHECK(preflight[http::field::access_control_allow_origin] == "https://app.example");
    CHECK_FALSE(preflight[http::field::access_control_allow_methods].empty());
}

TEST_CASE("CORS off by default: no Access-Control headers", "[engineio][server]")
{
    fixture f(test_options());
    net::io_context c;
    beast::tcp_stream stream(c);
    stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), f.srv->port()));
    http::request<http::string_body> req(http::verb::get, "/engine.io/?EIO=4&transport=polling", 11);
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::origin, "https://app.example");
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    CHECK(res[http::field::access_control_allow_origin].empty());
}

TEST_CASE("sessions on two shards: polling requests landing on the other shard are moved there", "[engineio][server]")
{
    // Two shards, each run by its own thread; connections spread by SO_REUSEPORT.
    net::io_context a, b;
    auto closes = std::make_shared<std::atomic<int>>(0);
    server srv({&a, &b});
    srv.add_endpoint(test_options(), [closes](session_ptr const& s) {
        auto h = std::make_shared<echo_handler>();
        h->s = s;
        h->closes = closes;
        return h;
    });
    REQUIRE(srv.listen(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)));
    auto wa = net::make_work_guard(a);
    auto wb = net::make_work_guard(b);
    std::thread ta([&] { a.run(); });
    std::thread tb([&] { b.run(); });

    auto request = [&](http::verb verb, std::string target, std::string body = {}) {
        return http_request(srv.port(), verb, std::move(target), std::move(body));
    };
    // Many sessions, each used over fresh connections: some requests must cross shards.
    for(int i = 0; i < 20; ++i) {
        auto open = request(http::verb::get, "/engine.io/?EIO=4&transport=polling");
        auto sid = std::string(boost::json::parse(open.body().substr(1)).at("sid").as_string());
        for(int k = 0; k < 3; ++k) {
            auto msg = "4m" + std::to_string(i) + "-" + std::to_string(k);
            REQUIRE(request(http::verb::post, "/engine.io/?EIO=4&transport=polling&sid=" + sid, msg).body() == "ok");
            REQUIRE(request(http::verb::get, "/engine.io/?EIO=4&transport=polling&sid=" + sid).body() == msg);
        }
    }
    CHECK(srv.stats().sessions == 20);
    a.stop();
    b.stop();
    ta.join();
    tb.join();
}

TEST_CASE("drain: WebSockets get close code 1012, the client's answer completes the close, new handshakes get 503",
    "[engineio][server][drain]")
{
    fixture f(test_options());
    // Two WebSocket sessions (Beast answers a close frame and then waits for the server's FIN).
    net::io_context c;
    std::vector<std::unique_ptr<websocket::stream<beast::tcp_stream>>> clients;
    for(int i = 0; i < 2; ++i) {
        auto ws = std::make_unique<websocket::stream<beast::tcp_stream>>(c);
        beast::get_lowest_layer(*ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), f.srv->port()));
        ws->handshake("127.0.0.1", "/engine.io/?EIO=4&transport=websocket");
        beast::flat_buffer buf;
        ws->read(buf);
        REQUIRE(beast::buffers_to_string(buf.data()).starts_with("0{"));
        clients.push_back(std::move(ws));
    }
    // A kept-alive HTTP connection opened before the drain, to try a handshake through it after.
    // One request first, so it is surely accepted (closing the acceptor resets a connection still
    // queued in the backlog).
    beast::tcp_stream http_conn(c);
    http_conn.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), f.srv->port()));
    {
        http::request<http::string_body> health(http::verb::get, "/healthz", 11);
        health.set(http::field::host, "127.0.0.1");
        http::write(http_conn, health);
        beast::flat_buffer hb;
        http::response<http::string_body> hr;
        http::read(http_conn, hb, hr);
        REQUIRE(hr.result_int() == 200);
        REQUIRE(hr.keep_alive());
    }
    REQUIRE(f.srv->stats().sessions == 2);

    f.srv->drain(std::chrono::milliseconds(0));
    for(auto& ws : clients) {
        beast::flat_buffer buf;
        beast::error_code ec;
        // Pings may come first; the read ends with `closed` once the close frame arrived.
        while(!ec)
            ws->read(buf, ec);
        CHECK(ec == websocket::error::closed);
        CHECK(ws->reason().code == 1012);
    }
    // Both closes complete (the server saw the clients' FIN): nothing stays in "closing".
    for(int i = 0; i < 200 && (f.srv->stats().sessions != 0 || f.srv->stats().closing != 0); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(f.srv->stats().sessions == 0);
    CHECK(f.srv->stats().closing == 0);
    CHECK(*f.closes == 2);

    http::request<http::string_body> req(http::verb::get, "/engine.io/?EIO=4&transport=polling", 11);
    req.set(http::field::host, "127.0.0.1");
    beast::error_code ec;
    http::write(http_conn, req, ec);
    REQUIRE_FALSE(ec);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(http_conn, buf, res, ec);
    INFO("read: " << ec.message());
    CHECK(res.result_int() == 503);
    CHECK(f.srv->stats().sessions == 0);
}

TEST_CASE("a closed WebSocket whose client never answers is cut after close_timeout", "[engineio][server][drain]")
{
    auto opts = test_options();
    opts.close_timeout = std::chrono::milliseconds(300);
    opts.ping_interval = std::chrono::milliseconds(60000);
    opts.ping_timeout = std::chrono::milliseconds(60000);
    fixture f(opts);
    // A raw TCP client that does the WebSocket handshake by hand and then never reads or answers.
    net::io_context c;
    tcp::socket sock(c);
    raw_ws_connect(sock, f.srv->port());
    for(int i = 0; i < 200 && f.srv->stats().sessions != 1; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(f.srv->stats().sessions == 1);

    auto const t0 = std::chrono::steady_clock::now();
    f.srv->drain(std::chrono::milliseconds(0));
    for(int i = 0; i < 300 && (f.srv->stats().sessions != 0 || f.srv->stats().closing != 0); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto const took = std::chrono::steady_clock::now() - t0;
    CHECK(f.srv->stats().sessions == 0);
    CHECK(f.srv->stats().closing == 0);
    // Waited for an answer that never came, then cut it: about the close timeout, not forever.
    CHECK(took >= std::chrono::milliseconds(250));
    CHECK(took < std::chrono::milliseconds(2500));
}

TEST_CASE("flush window: pushes that meet in the window leave in one write, conflated per stream",
    "[engineio][server][flush]")
{
    auto opts = quiet_options();
    opts.flush_window = std::chrono::milliseconds(40);
    fixture f(opts);
    ws_client c(f.srv->port());
    auto const before = c.stats();

    auto const t0 = std::chrono::steady_clock::now();
    c.write("4!burst");
    std::vector<std::string> got;
    for(int i = 0; i < 4; ++i)
        got.push_back(c.read());
    auto const waited = std::chrono::steady_clock::now() - t0;
    // Stream 1 keeps its place with its newest state; nothing else is lost or reordered.
    CHECK(got == std::vector<std::string>{"4s1b", "4s2", "4s3", "4x"});
    // Held for the window (a timer never fires early), not longer than it by much.
    CHECK(waited >= std::chrono::milliseconds(39));

    auto const after = c.stats();
    // The stats answer of `before` was itself one write of one message.
    CHECK(after[0] - before[0] == 2);
    CHECK(after[1] - before[1] == 5);
    CHECK(after[2] - before[2] == 1);
    c.ws.close(websocket::close_code::normal);
}

TEST_CASE("flush window: what was sent right before a close still goes out, ahead of the close frame",
    "[engineio][server][flush]")
{
    auto opts = quiet_options();
    opts.flush_window = std::chrono::milliseconds(40);
    fixture f(opts);
    ws_client c(f.srv->port());
    c.write("4!bye");
    CHECK(c.read() == "4bye");
    beast::error_code ec;
    beast::flat_buffer buf;
    c.ws.read(buf, ec);
    CHECK(ec); // the session ended (Beast reports its own teardown of the closed socket)
    CHECK(buf.size() == 0);
    CHECK(c.ws.reason().code == websocket::close_code::normal);
}

TEST_CASE("no flush window: every push is written at once", "[engineio][server][flush]")
{
    auto opts = quiet_options();
    fixture f(opts);
    ws_client c(f.srv->port());
    auto const before = c.stats();
    c.write("4!burst");
    std::vector<std::string> got;
    for(int i = 0; i < 5; ++i)
        got.push_back(c.read());
    CHECK(got == std::vector<std::string>{"4s1a", "4s2", "4s3", "4x", "4s1b"});
    auto const after = c.stats();
    CHECK(after[0] - before[0] == 6);
    CHECK(after[1] - before[1] == 6);
    CHECK(after[2] - before[2] == 0);
    c.ws.close(websocket::close_code::normal);
}

TEST_CASE("max_sessions: a handshake past the cap gets 503, a freed place is taken again", "[engineio][server][limits]")
{
    auto opts = quiet_options();
    opts.max_sessions = 2;
    fixture f(opts);
    auto a = std::make_unique<ws_client>(f.srv->port());
    ws_client b(f.srv->port());
    // The third, by either transport, is refused before a session exists.
    auto res = f.request(http::verb::get, "/engine.io/?EIO=4&transport=polling");
    CHECK(res.result_int() == 503);
    CHECK(res.body() == "server full\n");
    {
        net::io_context c;
        websocket::stream<beast::tcp_stream> ws(c);
        beast::get_lowest_layer(ws).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), f.srv->port()));
        websocket::response_type refused;
        beast::error_code ec;
        ws.handshake(refused, "127.0.0.1", "/engine.io/?EIO=4&transport=websocket", ec);
        CHECK(ec);
        CHECK(refused.result_int() == 503);
    }
    CHECK(f.srv->stats().sessions == 2);
    CHECK(f.srv->stats().refused_full == 2);
    // The others are unaffected.
    b.write("4still here");
    CHECK(b.read() == "4still here");

    a->ws.close(websocket::close_code::normal);
    a.reset();
    for(int i = 0; i < 200 && f.srv->stats().sessions != 1; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(f.srv->stats().sessions == 1);
    ws_client again(f.srv->port());
    CHECK(f.srv->stats().sessions == 2);
}
