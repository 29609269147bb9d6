// Test that header file is self-contained.
#include "socketio/packet.hpp"

#include "socketio/error.hpp"

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

using namespace tradepush::socketio;

namespace {

packet
ok(std::string_view text, std::size_t max_attachments = 10)
{
    auto r = decode_packet(text, max_attachments);
    INFO(text);
    REQUIRE(r.has_value());
    return std::move(*r);
}

boost::system::error_code
err(std::string_view text, std::size_t max_attachments = 10)
{
    auto r = decode_packet(text, max_attachments);
    INFO(text);
    REQUIRE(r.has_error());
    return r.error();
}

} // namespace

TEST_CASE("decode CONNECT: spec examples", "[packet]")
{
    auto p = ok("0");
    CHECK(p.type == packet_type::connect);
    CHECK(p.nsp == "/");
    CHECK(p.data.is_null());
    CHECK_FALSE(p.id);

    p = ok(R"(0{"token":"123"})");
    CHECK(p.nsp == "/");
    CHECK(boost::json::serialize(p.data) == R"({"token":"123"})");

    p = ok("0/admin,");
    CHECK(p.nsp == "/admin");
    CHECK(p.data.is_null());

    p = ok(R"(0/admin,{"token":"abc"})");
    CHECK(p.nsp == "/admin");
    CHECK(p.data.at("token") == "abc");

    // The suite sends a namespace without the trailing comma.
    p = ok("0/custom");
    CHECK(p.nsp == "/custom");
    CHECK(p.data.is_null());
}

TEST_CASE("decode CONNECT: payload must be an object or absent", "[packet]")
{
    CHECK(err("0[]") == decode_error::invalid_payload);
    CHECK(err(R"(0"x")") == decode_error::invalid_payload);
    CHECK(err("0null") == decode_error::invalid_payload);
}

TEST_CASE("decode: type char must be 0-6", "[packet]")
{
    CHECK(err("") == decode_error::unknown_type);
    CHECK(err("abc") == decode_error::unknown_type);
    CHECK(err("7[\"x\"]") == decode_error::unknown_type);
    CHECK(err("/") == decode_error::unknown_type);
}

TEST_CASE("decode DISCONNECT: no payload", "[packet]")
{
    auto p = ok("1");
    CHECK(p.type == packet_type::disconnect);
    CHECK(p.nsp == "/");
    p = ok("1/admin,");
    CHECK(p.nsp == "/admin");
    CHECK(err("1{}") == decode_error::invalid_payload);
    CHECK(err("1/admin,[]") == decode_error::invalid_payload);
}

TEST_CASE("decode EVENT: spec examples", "[packet]")
{
    auto p = ok(R"(2["hey","Jude"])");
    CHECK(p.type == packet_type::event);
    CHECK(p.nsp == "/");
    CHECK_FALSE(p.id);
    CHECK(boost::json::serialize(p.data) == R"(["hey","Jude"])");

    p = ok(R"(2/admin,["bar"])");
    CHECK(p.nsp == "/admin");

    p = ok(R"(212["foo"])");
    REQUIRE(p.id);
    CHECK(*p.id == 12);

    p = ok(R"(2/admin,13["bar"])");
    CHECK(p.nsp == "/admin");
    CHECK(*p.id == 13);

    // A numeric event name is accepted like socket.io-parser does.
    p = ok("2[1,2]");
    CHECK(p.data.as_array().front().is_number());
}

TEST_CASE("decode EVENT: payload rules", "[packet]")
{
    CHECK(err("2{}") == decode_error::invalid_payload);
    CHECK(err("2[]") == decode_error::invalid_payload);
    CHECK(err("2") == decode_error::invalid_payload);
    CHECK(err("2[null]") == decode_error::invalid_payload);
    CHECK(err("2[{}]") == decode_error::invalid_payload);
    CHECK(err("2[true]") == decode_error::invalid_payload);
    CHECK(err(R"(2"x")") == decode_error::invalid_payload);
    CHECK(err("2abc[\"x\"]") == decode_error::bad_json);
    CHECK(err(R"(2["x")") == decode_error::bad_json);
    CHECK(err(R"(2["x"]])") == decode_error::bad_json);
    CHECK(err(R"(2,["x"])") == decode_error::bad_json);
    for(auto name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}) {
        auto const text = std::string("2[\"") + name + "\"]";
        CHECK(err(text) == decode_error::reserved_event);
    }
    // Only exact names are reserved.
    ok(R"(2["Connect"])");
    ok(R"(2["connected"])");
}

TEST_CASE("decode ACK", "[packet]")
{
    auto p = ok("312[]");
    CHECK(p.type == packet_type::ack);
    CHECK(*p.id == 12);
    CHECK(p.data.as_array().empty());
    p = ok(R"(3/admin,13["bar"])");
    CHECK(p.nsp == "/admin");
    CHECK(*p.id == 13);
    CHECK(err("312{}") == decode_error::invalid_payload);
    CHECK(err("312") == decode_error::invalid_payload);
    CHECK(err("312\"x\"") == decode_error::invalid_payload);
}

TEST_CASE("decode ack id range", "[packet]")
{
    auto p = ok("218446744073709551615[\"x\"]");
    CHECK(*p.id == 18446744073709551615ull);
    CHECK(err("218446744073709551616[\"x\"]") == decode_error::bad_ack_id);
}

TEST_CASE("decode CONNECT_ERROR", "[packet]")
{
    auto p = ok(R"(4{"message":"Not authorized"})");
    CHECK(p.type == packet_type::connect_error);
    p = ok(R"(4/random,{"message":"Invalid namespace"})");
    CHECK(p.nsp == "/random");
    ok(R"(4"legacy string")");
    CHECK(err("4[]") == decode_error::invalid_payload);
    CHECK(err("4true") == decode_error::invalid_payload);
}

TEST_CASE("decode binary headers", "[packet]")
{
    auto p = ok(R"(51-["baz",{"_placeholder":true,"num":0}])");
    CHECK(p.type == packet_type::binary_event);
    CHECK(p.attachments.size() == 1);
    CHECK(p.nsp == "/");

    p = ok(R"(61-15["bar",{"_placeholder":true,"num":0}])");
    CHECK(p.type == packet_type::binary_ack);
    CHECK(*p.id == 15);
    CHECK(p.attachments.size() == 1);

    p = ok(R"(52-/admin,7["a",{"_placeholder":true,"num":1},{"x":[{"_placeholder":true,"num":0}]}])");
    CHECK(p.nsp == "/admin");
    CHECK(*p.id == 7);
    CHECK(p.attachments.size() == 2);

    CHECK(err(R"(5["baz"])") == decode_error::illegal_attachments);
    CHECK(err(R"(5-["baz"])") == decode_error::illegal_attachments);
    CHECK(err(R"(50-["baz"])") == decode_error::illegal_attachments);
    CHECK(err(R"(5a-["baz"])") == decode_error::illegal_attachments);
    CHECK(err("51") == decode_error::illegal_attachments);
    CHECK(err(R"(511-["baz"])") == decode_error::too_many_attachments);
    CHECK(err(R"(53-["baz"])", 2) == decode_error::too_many_attachments);
    CHECK(err(R"(599999999999999999999999-["baz"])") == decode_error::too_many_attachments);
    ok(R"(510-["baz"])");
    // The payload rules of EVENT/ACK apply to their binary forms.
    CHECK(err(R"(51-{})") == decode_error::invalid_payload);
    CHECK(err(R"(51-["disconnect"])") == decode_error::reserved_event);
    CHECK(err(R"(61-1{})") == decode_error::invalid_payload);
}

TEST_CASE("decode binary placeholders must name an attachment", "[packet]")
{
    CHECK(err(R"(51-["a",{"_placeholder":true,"num":1}])") == decode_error::bad_placeholder);
    CHECK(err(R"(51-["a",{"_placeholder":true,"num":-1}])") == decode_error::bad_placeholder);
    CHECK(err(R"(51-["a",{"_placeholder":true}])") == decode_error::bad_placeholder);
    CHECK(err(R"(51-["a",{"_placeholder":true,"num":"0"}])") == decode_error::bad_placeholder);
    // Not a placeholder unless `_placeholder` is true; text packets are never reconstructed.
    ok(R"(51-["a",{"_placeholder":false,"num":9}])");
    ok(R"(2["a",{"_placeholder":true,"num":9}])");
}

TEST_CASE("encode: spec examples", "[packet]")
{
    packet p;
    p.type = packet_type::connect;
    CHECK(encode_packet(p) == "0");
    p.data = boost::json::object{{"sid", "wZX3oN0bSVIhsaknAAAI"}};
    CHECK(encode_packet(p) == R"(0{"sid":"wZX3oN0bSVIhsaknAAAI"})");
    p.nsp = "/admin";
    CHECK(encode_packet(p) == R"(0/admin,{"sid":"wZX3oN0bSVIhsaknAAAI"})");

    packet e;
    e.type = packet_type::connect_error;
    e.nsp = "/random";
    e.data = boost::json::object{{"message", "Invalid namespace"}};
    CHECK(encode_packet(e) == R"(4/random,{"message":"Invalid namespace"})");

    packet ev;
    ev.data = boost::json::array{"hey", "Jude"};
    CHECK(encode_packet(ev) == R"(2["hey","Jude"])");
    ev.id = 12;
    CHECK(encode_packet(ev) == R"(212["hey","Jude"])");

    packet a;
    a.type = packet_type::ack;
    a.nsp = "/admin";
    a.id = 13;
    a.data = boost::json::array{"bar"};
    CHECK(encode_packet(a) == R"(3/admin,13["bar"])");

    packet d;
    d.type = packet_type::disconnect;
    CHECK(encode_packet(d) == "1");
    d.nsp = "/admin";
    CHECK(encode_packet(d) == "1/admin,");
}

TEST_CASE("encode binary packets", "[packet]")
{
    packet p;
    p.type = packet_type::binary_event;
    p.data = boost::json::array{"baz", boost::json::object{{"_placeholder", true}, {"num", 0}}};
    p.attachments = {"\x01\x02"};
    CHECK(encode_packet(p) == R"(51-["baz",{"_placeholder":true,"num":0}])");

    packet a;
    a.type = packet_type::binary_ack;
    a.nsp = "/admin";
    a.id = 15;
    a.data = boost::json::array{"bar", boost::json::object{{"_placeholder", true}, {"num", 0}}};
    a.attachments = {"x"};
    CHECK(encode_packet(a) == R"(61-/admin,15["bar",{"_placeholder":true,"num":0}])");
}

TEST_CASE("encode/decode round trip keeps key order and compact JSON", "[packet]")
{
    std::string const text = R"(2/x,5["ev",{"z":1,"a":[true,null,"s"],"m":{"k":-3}}])";
    auto p = ok(text);
    CHECK(encode_packet(p) == text);
    std::string const spaced = R"(2[ "ev" , { "b" : 1 , "a" : 2 } ])";
    CHECK(encode_packet(ok(spaced)) == R"(2["ev",{"b":1,"a":2}])");
}

TEST_CASE("decode error messages are readable", "[packet]")
{
    boost::system::error_code ec = decode_error::unexpected_text;
    CHECK(ec.message() == "got plaintext data when reconstructing a packet");
    CHECK(std::string(ec.category().name()) == "tradepush.socketio");
}
