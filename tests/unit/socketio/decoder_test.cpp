// Test that header file is self-contained.
#include "socketio/decoder.hpp"

#include "socketio/error.hpp"

#include <boost/json/serialize.hpp>
#include <catch2/catch.hpp>

using namespace tradepush::socketio;

TEST_CASE("decoder passes text packets through", "[decoder]")
{
    decoder d;
    auto r = d.feed(R"(2["hey","Jude"])", false);
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    CHECK((*r)->type == packet_type::event);
    CHECK_FALSE(d.reconstructing());
}

TEST_CASE("decoder reassembles attachments in order", "[decoder]")
{
    decoder d;
    auto r = d.feed(R"(52-/admin,3["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])", false);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->has_value());
    CHECK(d.reconstructing());

    r = d.feed(std::string_view("\x00\x01", 2), true);
    REQUIRE(r.has_value());
    CHECK_FALSE(r->has_value());

    r = d.feed("\xff", true);
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    auto& p = **r;
    CHECK(p.type == packet_type::binary_event);
    CHECK(p.nsp == "/admin");
    CHECK(*p.id == 3);
    REQUIRE(p.attachments.size() == 2);
    CHECK(p.attachments[0] == std::string("\x00\x01", 2));
    CHECK(p.attachments[1] == "\xff");
    // Placeholders stay as received.
    CHECK(boost::json::serialize(p.data) ==
        R"(["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
    CHECK_FALSE(d.reconstructing());

    // Ready for the next packet.
    r = d.feed("2[\"x\"]", false);
    REQUIRE(r.has_value());
    CHECK(r->has_value());
}

TEST_CASE("decoder: binary ack", "[decoder]")
{
    decoder d;
    REQUIRE(d.feed(R"(61-15["bar",{"_placeholder":true,"num":0}])", false).has_value());
    auto r = d.feed("abc", true);
    REQUIRE(r.has_value());
    REQUIRE(r->has_value());
    CHECK((*r)->type == packet_type::binary_ack);
    CHECK(*(*r)->id == 15);
}

TEST_CASE("decoder: text while reconstructing is an error", "[decoder]")
{
    decoder d;
    REQUIRE(d.feed(R"(51-["baz",{"_placeholder":true,"num":0}])", false).has_value());
    auto r = d.feed(R"(2["x"])", false);
    REQUIRE(r.has_error());
    CHECK(r.error() == decode_error::unexpected_text);
    CHECK_FALSE(d.reconstructing());
}

TEST_CASE("decoder: binary without a header is an error", "[decoder]")
{
    decoder d;
    auto r = d.feed("abc", true);
    REQUIRE(r.has_error());
    CHECK(r.error() == decode_error::unexpected_binary);
}

TEST_CASE("decoder: header errors propagate and max_attachments applies", "[decoder]")
{
    decoder d(2);
    auto r = d.feed(R"(53-["a"])", false);
    REQUIRE(r.has_error());
    CHECK(r.error() == decode_error::too_many_attachments);
    // `4abc` on the wire: the Socket.IO packet is `abc`, an unknown type.
    r = d.feed("abc", false);
    REQUIRE(r.has_error());
    CHECK(r.error() == decode_error::unknown_type);
}
