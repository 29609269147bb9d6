// Test that header file is self-contained.
#include "socketio/server.hpp"

#include "fake_session.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>

using namespace tradepush;
using namespace tradepush::socketio;
using tradepush::test::fake_session;
using namespace std::chrono_literals;
namespace net = boost::asio;

namespace {

// Records every callback; decides CONNECTs according to `mode`.
struct recording_handler final : namespace_handler {
    enum class mode { accept, reject, defer };
    mode decide = mode::accept;
    std::vector<std::pair<socket_ptr, std::string>> connects; // socket, serialized auth
    std::vector<std::pair<socket_ptr, event>> events;
    std::vector<std::pair<std::string, std::string>> disconnects; // socket id, reason
    std::vector<bool> connected_during_disconnect;
    std::function<void(socket_ptr const&, event&)> on_event_hook;

    void on_connect(socket_ptr const& s, json::object const& auth) override
    {
        connects.emplace_back(s, json::serialize(auth));
        if(decide == mode::accept)
            s->accept();
        else if(decide == mode::reject)
            s->reject("not authorized", json::object{{"reason", "bad token"}});
    }
    void on_event(socket_ptr const& s, event&& ev) override
    {
        if(on_event_hook)
            on_event_hook(s, ev);
        events.emplace_back(s, std::move(ev));
    }
    void on_disconnect(socket_ptr const& s, std::string_view reason) override
    {
        connected_during_disconnect.push_back(s->connected());
        disconnects.emplace_back(s->id(), std::string(reason));
    }
    void clear()
    {
        connects.clear();
        events.clear();
    }
};

struct fixture {
    net::io_context ioc;
    std::shared_ptr<recording_handler> root = std::make_shared<recording_handler>();
    std::shared_ptr<recording_handler> custom = std::make_shared<recording_handler>();
    server srv;
    std::shared_ptr<fake_session> session;
    std::weak_ptr<engineio::session_handler> handler;

    explicit fixture(options opts = {}, bool async_close = false)
        : srv(opts)
    {
        srv.of("/", root);
        srv.of("/custom", custom);
        session = open(async_close);
    }

    // Like the server's close_all() at shutdown: a session is freed only once it closed (until then
    // session and handler own each other), so LeakSanitizer checks there is no cycle after close.
    ~fixture()
    {
        for(auto& w : opened)
            if(auto s = w.lock())
                s->transport_closed("server shutting down");
        ioc.run();
    }

    std::vector<std::weak_ptr<fake_session>> opened;

    std::shared_ptr<fake_session> open(bool async_close = false)
    {
        auto s = std::make_shared<fake_session>(ioc, async_close);
        opened.push_back(s);
        auto h = srv.session_factory()(s);
        REQUIRE(h);
        handler = h;
        s->attach(h);
        return s;
    }
};

// `40{"sid":"..."}` -> the sid.
std::string
sid_of(std::string const& reply, std::string_view prefix = "40")
{
    REQUIRE(reply.substr(0, prefix.size()) == prefix);
    auto v = json::parse(reply.substr(prefix.size()));
    return std::string(v.at("sid").as_string());
}

} // namespace

TEST_CASE("CONNECT to / is accepted with a fresh public id", "[server]")
{
    fixture f;
    f.session->feed("0");
    REQUIRE(f.root->connects.size() == 1);
    CHECK(f.root->connects[0].second == "{}");
    auto out = f.session->take_text();
    REQUIRE(out.size() == 1);
    auto const sid = sid_of(out[0]);
    CHECK(sid.size() == 20);
    CHECK(sid.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
        std::string::npos);
    CHECK(sid != f.session->id());
    auto const& s = f.root->connects[0].first;
    CHECK(s->id() == sid);
    CHECK(s->nsp() == "/");
    CHECK(s->connected());
    CHECK(&s->session() == f.session.get());
    CHECK_FALSE(f.session->closed());
}

TEST_CASE("CONNECT passes auth and each namespace connection gets its own id", "[server]")
{
    fixture f;
    f.session->feed(R"(0{"token":"123"})");
    f.session->feed(R"(0/custom,{"token":"abc","n":[1,2]})");
    REQUIRE(f.root->connects.size() == 1);
    REQUIRE(f.custom->connects.size() == 1);
    CHECK(f.root->connects[0].second == R"({"token":"123"})");
    CHECK(f.custom->connects[0].second == R"({"token":"abc","n":[1,2]})");
    auto out = f.session->take_text();
    REQUIRE(out.size() == 2);
    auto const a = sid_of(out[0]);
    auto const b = sid_of(out[1], "40/custom,");
    CHECK(a != b);

    // Ids never repeat across many connections.
    std::set<std::string> ids{a, b};
    for(int i = 0; i < 200; ++i) {
        auto s = f.open();
        s->feed("0");
        ids.insert(sid_of(s->take_text().at(0)));
    }
    CHECK(ids.size() == 202);
}

TEST_CASE("Namespace without a comma is the namespace", "[server]")
{
    fixture f;
    f.session->feed("0/custom");
    REQUIRE(f.custom->connects.size() == 1);
    CHECK(f.session->take_text().at(0).rfind("40/custom,{\"sid\":", 0) == 0);
}

TEST_CASE("Unknown namespace gets CONNECT_ERROR and the session stays open", "[server]")
{
    fixture f;
    f.session->feed("0/random,");
    f.session->feed("0/other");
    auto out = f.session->take_text();
    REQUIRE(out.size() == 2);
    CHECK(out[0] == R"(44/random,{"message":"Invalid namespace"})");
    CHECK(out[1] == R"(44/other,{"message":"Invalid namespace"})");
    CHECK_FALSE(f.session->closed());
    // Still usable.
    f.session->feed("0");
    CHECK(f.root->connects.size() == 1);
}

TEST_CASE("Unknown root namespace", "[server]")
{
    net::io_context ioc;
    server srv;
    srv.of("/custom", std::make_shared<recording_handler>());
    auto s = std::make_shared<fake_session>(ioc);
    s->attach(srv.session_factory()(s));
    s->feed("0");
    CHECK(s->take_text() == std::vector<std::string>{R"(44{"message":"Invalid namespace"})"});
    s->transport_closed("transport close");
    ioc.run();
}

TEST_CASE("Events reach the handler, emit and ack encode per spec", "[server]")
{
    fixture f;
    f.session->feed("0");
    f.session->feed("0/custom,");
    f.session->take();
    f.session->feed(R"(2["message",1,"2",{"3":[true]}])");
    f.session->feed(R"(212["message-with-ack","x"])");
    f.session->feed(R"(2/custom,7[42,"numeric name"])");
    REQUIRE(f.root->events.size() == 2);
    REQUIRE(f.custom->events.size() == 1);

    auto& e0 = f.root->events[0].second;
    CHECK(e0.name == "message");
    CHECK(json::serialize(e0.args) == R"([1,"2",{"3":[true]}])");
    CHECK_FALSE(e0.ack_id);
    CHECK(e0.attachments.empty());

    auto& e1 = f.root->events[1].second;
    CHECK(e1.name == "message-with-ack");
    REQUIRE(e1.ack_id);
    CHECK(*e1.ack_id == 12);

    auto& e2 = f.custom->events[0].second;
    CHECK(e2.name == "42");
    CHECK(*e2.ack_id == 7);

    auto s = f.root->events[0].first;
    s->emit("message-back", e0.args);
    s->ack(*e1.ack_id, e1.args);
    s->emit("empty");
    auto c = f.custom->events[0].first;
    c->emit("auth", json::array{json::object{}});
    c->ack(7, {});
    CHECK(f.session->take_text() ==
        std::vector<std::string>{
            R"(42["message-back",1,"2",{"3":[true]}])",
            R"(4312["x"])",
            R"(42["empty"])",
            R"(42/custom,["auth",{}])",
            R"(43/custom,7[])",
        });
}

TEST_CASE("Binary events arrive with attachments and go back out as BINARY_EVENT/BINARY_ACK", "[server]")
{
    fixture f;
    f.session->feed("0");
    f.session->take();
    f.session->feed(R"(51-5["message",{"_placeholder":true,"num":0},"tail"])");
    CHECK(f.root->events.empty());
    f.session->feed_binary(std::string_view("\x01\x02\x00", 3));
    REQUIRE(f.root->events.size() == 1);
    auto& ev = f.root->events[0].second;
    CHECK(ev.name == "message");
    CHECK(json::serialize(ev.args) == R"([{"_placeholder":true,"num":0},"tail"])");
    REQUIRE(ev.attachments.size() == 1);
    CHECK(ev.attachments[0] == std::string("\x01\x02\x00", 3));
    CHECK(*ev.ack_id == 5);

    auto s = f.root->events[0].first;
    s->emit("message-back", ev.args, ev.attachments);
    s->ack(5, ev.args, ev.attachments);
    auto out = f.session->take();
    REQUIRE(out.size() == 4);
    CHECK(out[0].data == R"(451-["message-back",{"_placeholder":true,"num":0},"tail"])");
    CHECK_FALSE(out[0].binary);
    CHECK(out[1].binary);
    CHECK(out[1].data == std::string("\x01\x02\x00", 3));
    CHECK(out[2].data == R"(461-5[{"_placeholder":true,"num":0},"tail"])");
    CHECK(out[3].binary);
}

TEST_CASE("Decode errors close the whole session with parse error", "[server]")
{
    auto const bad = GENERATE(as<std::string>{}, "abc", "2{}", R"(2["connect"])", "2abc[\"x\"]",
        R"(2["disconnect"])", "0[]", "1{}", R"(41-["a"])", R"(50-["a"])", R"(511-["a"])");
    fixture f;
    f.session->feed("0");
    auto id = f.root->connects.at(0).first->id();
    f.session->feed(bad);
    INFO(bad);
    CHECK(f.session->closed());
    CHECK(f.session->close_reason() == "parse error");
    REQUIRE(f.root->disconnects.size() == 1);
    CHECK(f.root->disconnects[0] == std::pair<std::string, std::string>{id, "parse error"});
    CHECK(f.root->connected_during_disconnect == std::vector<bool>{false});
}

TEST_CASE("Binary reconstruction errors close the session", "[server]")
{
    fixture f;
    f.session->feed("0");
    SECTION("binary without a header")
    {
        f.session->feed_binary("xyz");
    }
    SECTION("text while attachments are pending")
    {
        f.session->feed(R"(51-["message",{"_placeholder":true,"num":0}])");
        f.session->feed(R"(2["message"])");
    }
    CHECK(f.session->close_reason() == "parse error");
    CHECK(f.root->events.empty());
}

TEST_CASE("Invalid state closes the whole session", "[server]")
{
    fixture f;
    SECTION("EVENT before CONNECT")
    {
        f.session->feed(R"(2["message"])");
    }
    SECTION("EVENT for another, unjoined namespace")
    {
        f.session->feed("0");
        f.session->feed(R"(2/custom,["message"])");
    }
    SECTION("EVENT while CONNECT is pending")
    {
        f.root->decide = recording_handler::mode::defer;
        f.session->feed("0");
        f.session->feed(R"(2["message"])");
        // The pending socket was never accepted: no on_disconnect for it, and accepting later is a no-op.
        CHECK(f.root->disconnects.empty());
        f.root->connects.at(0).first->accept();
        CHECK(f.session->take_text().empty());
    }
    SECTION("CONNECT for an already connected namespace")
    {
        f.session->feed("0");
        f.session->feed("0");
        CHECK(f.root->disconnects.size() == 1);
    }
    SECTION("client CONNECT_ERROR")
    {
        f.session->feed("0");
        f.session->feed(R"(4{"message":"x"})");
    }
    SECTION("DISCONNECT for an unjoined namespace")
    {
        f.session->feed("1/custom,");
    }
    SECTION("ACK before CONNECT")
    {
        f.session->feed("31[]");
    }
    CHECK(f.session->closed());
    CHECK(f.session->close_reason() == "forced server close");
}

TEST_CASE("Client namespace disconnect keeps the session open", "[server]")
{
    fixture f;
    f.session->feed("0");
    f.session->feed("0/custom,");
    auto root_sock = f.root->connects.at(0).first;
    auto id = root_sock->id();
    f.session->take();
    f.session->feed("1");
    REQUIRE(f.root->disconnects.size() == 1);
    CHECK(f.root->disconnects[0] == std::pair<std::string, std::string>{id, "client namespace disconnect"});
    CHECK_FALSE(root_sock->connected());
    CHECK_FALSE(f.session->closed());
    // The old socket is inert.
    root_sock->emit("x");
    CHECK(f.session->take().empty());
    // Events for the left namespace are now invalid state... but reconnecting works first.
    f.session->feed("0");
    REQUIRE(f.root->connects.size() == 2);
    CHECK(f.root->connects[1].first->id() != id);
    // /custom still works.
    f.session->feed(R"(2/custom,["hi"])");
    CHECK(f.custom->events.size() == 1);
    // Last namespace leaves: still open.
    f.session->feed("1");
    f.session->feed("1/custom,");
    CHECK_FALSE(f.session->closed());
}

TEST_CASE("Rejected CONNECT sends CONNECT_ERROR, no on_disconnect, session open", "[server]")
{
    fixture f;
    f.root->decide = recording_handler::mode::reject;
    f.session->feed("0");
    CHECK(f.session->take_text() ==
        std::vector<std::string>{R"(44{"message":"not authorized","data":{"reason":"bad token"}})"});
    auto s = f.root->connects.at(0).first;
    CHECK_FALSE(s->connected());
    s->accept();
    s->emit("x");
    CHECK(f.session->take().empty());
    // The client may retry (the JS client does on socket.connect()).
    f.root->decide = recording_handler::mode::accept;
    f.session->feed("0");
    CHECK(f.root->connects.size() == 2);
    CHECK(f.root->connects[1].first->connected());
    f.session->transport_closed("transport close");
    CHECK(f.root->disconnects.size() == 1);
}

TEST_CASE("reject without data omits the key", "[server]")
{
    fixture f;
    f.custom->decide = recording_handler::mode::defer;
    f.session->feed("0/custom,");
    f.custom->connects.at(0).first->reject("nope");
    CHECK(f.session->take_text() == std::vector<std::string>{R"(44/custom,{"message":"nope"})"});
}

TEST_CASE("Deferred (async) accept", "[server]")
{
    fixture f;
    f.root->decide = recording_handler::mode::defer;
    f.session->feed(R"(0{"token":"t"})");
    CHECK(f.session->take().empty());
    auto s = f.root->connects.at(0).first;
    CHECK_FALSE(s->connected());
    s->emit("too-early"); // not connected yet: dropped
    net::post(f.ioc, [s] { s->accept(); });
    f.ioc.run();
    auto out = f.session->take_text();
    REQUIRE(out.size() == 1);
    CHECK(sid_of(out[0]) == s->id());
    f.session->feed(R"(2["message"])");
    CHECK(f.root->events.size() == 1);
    f.session->transport_closed("transport close");
}

TEST_CASE("connect_timeout closes a session that joined no namespace", "[server]")
{
    options opts;
    opts.connect_timeout = 30ms;
    fixture f(opts);
    SECTION("nothing sent")
    {
        f.ioc.run_for(200ms);
        CHECK(f.session->closed());
        CHECK(f.session->close_reason() == "forced server close");
    }
    SECTION("only refused namespaces")
    {
        f.session->feed("0/nope,");
        f.ioc.run_for(200ms);
        CHECK(f.session->closed());
    }
    SECTION("CONNECT still pending")
    {
        f.root->decide = recording_handler::mode::defer;
        f.session->feed("0");
        f.ioc.run_for(200ms);
        CHECK(f.session->closed());
        CHECK(f.root->disconnects.empty());
    }
    SECTION("joined in time")
    {
        f.session->feed("0");
        f.ioc.run_for(100ms);
        CHECK_FALSE(f.session->closed());
        f.session->transport_closed("transport close");
    }
}

TEST_CASE("connect_timeout: sessions opened together are closed over a span, not in one burst", "[server][limits]")
{
    options opts;
    opts.connect_timeout = 800ms; // closes fall between 700 and 800 ms after the handshake
    fixture f(opts);
    std::vector<std::shared_ptr<fake_session>> sessions{f.session};
    for(int i = 1; i < 40; ++i)
        sessions.push_back(f.open());
    auto const t0 = std::chrono::steady_clock::now();
    std::vector<std::chrono::steady_clock::duration> closed_at;
    std::set<fake_session const*> seen;
    while(seen.size() < sessions.size() && std::chrono::steady_clock::now() - t0 < 5s) {
        f.ioc.restart();
        f.ioc.run_for(1ms);
        for(auto const& s : sessions)
            if(s->closed() && seen.insert(s.get()).second)
                closed_at.push_back(std::chrono::steady_clock::now() - t0);
    }
    REQUIRE(closed_at.size() == sessions.size());
    auto const [first, last] = std::minmax_element(closed_at.begin(), closed_at.end());
    CHECK(*first >= 650ms);
    // 40 draws from a 100 ms span cover far more than 30 ms; one shared deadline would close all in one run.
    CHECK(*last - *first >= 30ms);
}

TEST_CASE("a session that left every namespace gets the connect deadline again", "[server][limits]")
{
    // Such a session holds a slot while counting for no user (a per-user cap could be bypassed by
    // keeping refused sessions open), so it must join again in time or be closed.
    options opts;
    opts.connect_timeout = 30ms;
    fixture f(opts);
    f.session->feed("0");
    f.ioc.run_for(100ms);
    REQUIRE_FALSE(f.session->closed());
    SECTION("after its own namespace DISCONNECT")
    {
        f.session->feed("1");
    }
    SECTION("after a server namespace disconnect (e.g. over the per-user cap)")
    {
        f.root->connects.at(0).first->disconnect();
    }
    f.ioc.restart();
    f.ioc.run_for(200ms);
    CHECK(f.session->closed());
    CHECK(f.session->close_reason() == "forced server close");
}

TEST_CASE("joining again in time after leaving keeps the session", "[server][limits]")
{
    options opts;
    opts.connect_timeout = 50ms;
    fixture f(opts);
    f.session->feed("0");
    f.session->feed("1");
    f.session->feed("0");
    f.ioc.run_for(200ms);
    CHECK_FALSE(f.session->closed());
    CHECK(f.root->connects.back().first->connected());
    f.session->transport_closed("transport close");
}

TEST_CASE("refused CONNECTs past max_failed_connects close the session", "[server][limits]")
{
    options opts;
    opts.max_failed_connects = 3;
    fixture f(opts);
    f.root->decide = recording_handler::mode::reject;
    for(int i = 0; i < 3; ++i)
        f.session->feed("0");
    CHECK_FALSE(f.session->closed());
    // Unknown namespaces count too.
    f.session->feed("0/nope,");
    CHECK(f.session->closed());
    CHECK(f.session->close_reason() == "forced server close");
    // Every refusal was answered before the close.
    CHECK(f.session->take_text().size() == 4);
}

TEST_CASE("Engine close reports its reason to every accepted socket and frees everything", "[server]")
{
    bool const async_close = GENERATE(false, true);
    std::weak_ptr<fake_session> weak_session;
    std::weak_ptr<engineio::session_handler> weak_handler;
    std::weak_ptr<socketio::socket> weak_sock;
    {
        fixture f({}, async_close);
        f.custom->decide = recording_handler::mode::defer;
        f.session->feed("0");
        f.session->feed("0/custom,");
        auto root_id = f.root->connects.at(0).first->id();
        weak_sock = f.root->connects.at(0).first;
        f.session->transport_closed("ping timeout");
        f.ioc.run();
        REQUIRE(f.root->disconnects.size() == 1);
        CHECK(f.root->disconnects[0] == std::pair<std::string, std::string>{root_id, "ping timeout"});
        CHECK(f.custom->disconnects.empty()); // pending sockets were never accepted
        // Late calls from the application are harmless no-ops.
        auto s = f.root->connects.at(0).first;
        s->emit("late");
        s->send(outbound_message::text("42[\"late\"]"));
        s->disconnect();
        s->close_transport("again");
        f.custom->connects.at(0).first->accept();
        CHECK(f.root->disconnects.size() == 1);

        weak_session = f.session;
        weak_handler = f.handler;
        CHECK(weak_handler.expired()); // the engine dropped it and nothing else holds it
        f.root->connects.clear();
        f.custom->connects.clear();
        s.reset();
        f.session.reset();
        CHECK(weak_session.expired());
        CHECK(weak_sock.expired());
    }
}

TEST_CASE("A socket held by the application keeps session() valid after close", "[server]")
{
    fixture f;
    f.session->feed("0");
    auto s = f.root->connects.at(0).first;
    std::weak_ptr<fake_session> weak_session = f.session;
    f.session->transport_closed("transport close");
    f.session.reset();
    CHECK_FALSE(weak_session.expired());
    CHECK(s->session().id() == "eio-secret-sid");
    f.root->connects.clear();
    s.reset();
    CHECK(weak_session.expired());
}

TEST_CASE("Server namespace disconnect sends DISCONNECT and reports it", "[server]")
{
    fixture f;
    f.session->feed("0/custom,");
    f.session->take();
    auto s = f.custom->connects.at(0).first;
    s->disconnect();
    CHECK(f.session->take_text() == std::vector<std::string>{"41/custom,"});
    REQUIRE(f.custom->disconnects.size() == 1);
    CHECK(f.custom->disconnects[0].second == "server namespace disconnect");
    CHECK_FALSE(f.session->closed());
    // Now an EVENT for /custom is invalid state.
    f.session->feed(R"(2/custom,["x"])");
    CHECK(f.session->closed());
    CHECK(f.custom->disconnects.size() == 1);
}

TEST_CASE("close_transport closes the Engine.IO session", "[server]")
{
    fixture f;
    f.session->feed("0");
    f.session->feed("0/custom,");
    f.root->connects.at(0).first->close_transport("forced close");
    CHECK(f.session->close_reason() == "forced close");
    CHECK(f.root->disconnects.at(0).second == "forced close");
    CHECK(f.custom->disconnects.at(0).second == "forced close");
}

TEST_CASE("Handlers may close the session from inside on_event", "[server]")
{
    bool const async_close = GENERATE(false, true);
    fixture f({}, async_close);
    f.root->on_event_hook = [](socket_ptr const& s, event&) { s->close_transport("forced close"); };
    f.session->feed("0");
    f.session->feed(R"(2["x"])");
    f.session->feed(R"(2["y"])"); // after close: ignored
    f.ioc.run();
    CHECK(f.root->events.size() == 1);
    CHECK(f.root->disconnects.size() == 1);
}

TEST_CASE("Handlers may disconnect from inside on_connect and on_event", "[server]")
{
    fixture f;
    f.root->on_event_hook = [](socket_ptr const& s, event&) { s->disconnect(); };
    f.session->feed("0");
    f.session->feed(R"(2["x"])");
    CHECK(f.root->disconnects.size() == 1);
    CHECK_FALSE(f.session->closed());
}

TEST_CASE("Client ACKs are ignored", "[server]")
{
    fixture f;
    f.session->feed("0");
    f.session->take();
    f.session->feed(R"(31["x"])");
    f.session->feed(R"(61-2[{"_placeholder":true,"num":0}])");
    f.session->feed_binary("b");
    CHECK_FALSE(f.session->closed());
    CHECK(f.session->take().empty());
}

TEST_CASE("send() forwards the pre-serialized message and conflation key", "[server]")
{
    fixture f;
    f.session->feed("0");
    f.session->take();
    auto s = f.root->connects.at(0).first;
    auto msg = encode_event_message("/", "ticker", json::parse(R"({"symbol":"BTCUSDT","p":1})"));
    s->send(msg, 77);
    auto out = f.session->take();
    REQUIRE(out.size() == 1);
    CHECK(out[0].data == R"(42["ticker",{"symbol":"BTCUSDT","p":1}])");
    CHECK(out[0].conflate_key == 77);
}

TEST_CASE("encode_event_message", "[server]")
{
    CHECK(encode_event_message("/", "balance", json::object{})->payload() == R"(42["balance",{}])");
    CHECK(encode_event_message("/admin", "a\"b", json::array{1, "x"})->payload() ==
        R"(42/admin,["a\"b",[1,"x"]])");
    CHECK(encode_event_message("", "n", nullptr)->payload() == R"(42["n",null])");
    CHECK_FALSE(encode_event_message("/", "n", 1)->is_binary());
}
