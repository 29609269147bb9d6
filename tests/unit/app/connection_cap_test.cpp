#include "app/connection_cap.hpp"

#include <catch2/catch.hpp>

using namespace tradepush;

TEST_CASE("connection_cap: an explicit value wins, 0 follows the open-file limit", "[app][limits]")
{
    CHECK(app::connection_cap(500, 65536) == 500);
    CHECK(app::connection_cap(500, std::nullopt) == 500);
    // The packaged unit's LimitNOFILE and this machine's hard limit.
    CHECK(app::connection_cap(0, 65536) == 65536 - app::reserved_descriptors);
    CHECK(app::connection_cap(0, 20000) == 20000 - app::reserved_descriptors);
    // Unlimited descriptors: no cap.
    CHECK(app::connection_cap(0, std::nullopt) == 0);
    // A tiny limit still admits some clients.
    CHECK(app::connection_cap(0, 256) == 128);
    CHECK(app::connection_cap(0, 0) == 0);
}

TEST_CASE("open_file_limit reads this process's soft limit", "[app][limits]")
{
    auto const n = app::open_file_limit();
    // CI and developer machines have a finite limit; whatever it is, it admits this test's files.
    if(n)
        CHECK(*n >= 3);
}
