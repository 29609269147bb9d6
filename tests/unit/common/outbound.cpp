// Test that header file is self-contained.
#include "common/outbound.hpp"

#include <catch2/catch.hpp>

using tradepush::outbound_message;

TEST_CASE("outbound text frame: 7-bit length, FIN|text, unmasked", "[outbound]")
{
    auto m = outbound_message::text("42[\"a\"]");
    auto f = m->ws_frame();
    REQUIRE(f.size() == 2 + 7);
    CHECK(static_cast<unsigned char>(f[0]) == 0x81);
    CHECK(static_cast<unsigned char>(f[1]) == 7);
    CHECK(m->payload() == "42[\"a\"]");
    CHECK_FALSE(m->is_binary());
}

TEST_CASE("outbound frames use 16- and 64-bit lengths at the RFC 6455 boundaries", "[outbound]")
{
    auto m126 = outbound_message::binary(std::string(126, 'x'));
    CHECK(static_cast<unsigned char>(m126->ws_frame()[0]) == 0x82);
    CHECK(static_cast<unsigned char>(m126->ws_frame()[1]) == 126);
    CHECK(m126->ws_frame().size() == 4 + 126);
    CHECK(m126->payload().size() == 126);

    auto m64k = outbound_message::text(std::string(65536, 'y'));
    CHECK(static_cast<unsigned char>(m64k->ws_frame()[1]) == 127);
    CHECK(m64k->ws_frame().size() == 10 + 65536);
    CHECK(m64k->payload() == std::string(65536, 'y'));
}
