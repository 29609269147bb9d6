// The load generator's cheap scan of Engine.IO / Socket.IO packets.

#include "loadgen/wire.hpp"

#include <catch2/catch.hpp>

using namespace tradepush::bench;

TEST_CASE("parse_packet: Engine.IO and Socket.IO control packets")
{
    CHECK(parse_packet(R"(0{"sid":"x","pingInterval":25000})").kind == packet_kind::eio_open);
    CHECK(parse_packet("2").kind == packet_kind::eio_ping);
    CHECK(parse_packet("1").kind == packet_kind::eio_close);
    CHECK(parse_packet(R"(40{"sid":"abc"})").kind == packet_kind::sio_connect);
    CHECK(parse_packet(R"(44{"message":"unauthorized"})").kind == packet_kind::sio_connect_error);
    CHECK(parse_packet("41").kind == packet_kind::sio_disconnect);
    CHECK(parse_packet("").kind == packet_kind::other);
    CHECK(parse_packet("6").kind == packet_kind::other);
}

TEST_CASE("parse_packet: acks")
{
    auto ok = parse_packet(R"(431[{"ok":true,"symbols":["BTCUSDT"]}])");
    CHECK(ok.kind == packet_kind::sio_ack);
    CHECK(ok.ack_id == 1);
    CHECK(ok.ack_ok);
    auto bad = parse_packet(R"(4312[{"ok":false,"error":"nope"}])");
    CHECK(bad.ack_id == 12);
    CHECK_FALSE(bad.ack_ok);
}

TEST_CASE("parse_packet: pushes give event, seq and emit_us")
{
    auto t = parse_packet(
        R"(42["ticker",{"exchange":"bench","category":"linear","symbol":"BTCUSDT","seq":17,"ts":1,"data":{"last_price":1.5,"emit_us":1700000000123456}}])");
    CHECK(t.kind == packet_kind::sio_event);
    CHECK(t.event == event_kind::ticker);
    CHECK(t.seq == 17);
    CHECK(t.emit_us == 1700000000123456);

    auto o = parse_packet(R"(42["orders",{"account":"main","seq":3,"data":{"orders":[]}}])");
    CHECK(o.event == event_kind::orders);
    CHECK(o.seq == 3);
    CHECK(o.emit_us == -1);

    auto s = parse_packet(R"(42["stream_status",{"stream":"ticker","seq":5}])");
    CHECK(s.event == event_kind::stream_status);
    CHECK(s.seq == -1); // not a data stream: not scanned

    CHECK(parse_packet(R"(42["whatever",{}])").event == event_kind::other);
    CHECK(parse_packet(R"(42/admin,["pnl",{"seq":1}])").event == event_kind::pnl);
}
