// Test that the header is self-contained.
#include "config/config.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tradepush::config::config_error;
using tradepush::config::daemon_config;
using tradepush::config::listener;
using tradepush::config::load_file;
using tradepush::config::load_string;

namespace {

fs::path const data_dir = fs::path(TRADEPUSH_TEST_DATA_DIR) / "config";
fs::path const repo_etc = fs::path(TRADEPUSH_TEST_DATA_DIR) / ".." / ".." / "etc";

// A valid key, appended to snippets that test something else.
constexpr std::string_view test_secret = "unit-test-secret-0123456789abcdef-xyz";
std::string const key_block = "\n[[auth.keys]]\nalg = \"HS256\"\nsecret = \"" + std::string(test_secret) + "\"\n";

// Snippets are written as R"(\n...)": drop that first newline so "line 1" is the first real line.
std::string
strip(std::string_view text)
{
    if (!text.empty() && text.front() == '\n')
        text.remove_prefix(1);
    return std::string(text);
}

auto
load_raw(std::string_view text)
{
    return load_string(strip(text), "test.toml", data_dir);
}

auto
load(std::string_view text)
{
    return load_string(strip(text) + key_block, "test.toml", data_dir);
}

struct position {
    int line = 0;
    int column = 0;
    std::string what;
};

// Splits "test.toml:LINE:COL: what"; fails the test when the message has no position.
position
position_of(config_error const& e)
{
    static std::regex const re(R"(^test\.toml:(\d+):(\d+): (.*)$)");
    std::smatch m;
    INFO("message: " << e.message);
    REQUIRE(std::regex_match(e.message, m, re));
    return {std::stoi(m[1]), std::stoi(m[2]), m[3]};
}

// Asserts that loading failed at `line` with a message containing `fragment`.
template <class Result>
void
expect_error_at(Result const& r, int line, std::string_view fragment)
{
    REQUIRE(r.has_error());
    auto const p = position_of(r.error());
    INFO("message: " << r.error().message);
    CHECK(p.line == line);
    CHECK(p.column >= 1);
    CHECK_THAT(p.what, Catch::Contains(std::string(fragment)));
    // No secret ever appears in a message, whatever went wrong.
    CHECK_THAT(r.error().message, !Catch::Contains(std::string(test_secret)));
}

std::string
read_all(fs::path const& p)
{
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Checks every default of daemon_config that an empty config must keep.
void
check_defaults(daemon_config const& cfg)
{
    REQUIRE(cfg.listeners.size() == 1);
    CHECK(cfg.listeners[0] == listener{"127.0.0.1", 8080});
    CHECK(cfg.workers == 0);
    CHECK(cfg.engineio.path == "/socket.io/");
    CHECK(cfg.engineio.ping_interval == 25000ms);
    CHECK(cfg.engineio.ping_timeout == 20000ms);
    CHECK(cfg.engineio.upgrade_timeout == 10000ms);
    CHECK(cfg.connect_timeout == 10000ms);
    CHECK(cfg.connection.header_timeout == 10000ms);
    CHECK(cfg.connection.max_sockets_per_address == 256);
    CHECK(cfg.connection.handshakes_per_second_per_address == 20);
    CHECK(cfg.connection.handshake_burst_per_address == 200);
    CHECK(cfg.connection.max_unauthenticated_sessions == 1024);
    CHECK(cfg.connection.trusted_proxies.empty());
    CHECK_FALSE(cfg.connection.proxy_protocol);
    CHECK(cfg.max_failed_connects == 3);
    CHECK(cfg.failed_logins_per_address == 20);
    CHECK(cfg.auth.require_exp);
    CHECK(cfg.engineio.max_payload == 1000000);
    CHECK(cfg.engineio.allow_polling);
    CHECK(cfg.engineio.allow_websocket);
    CHECK(cfg.engineio.allow_upgrades);
    CHECK(cfg.engineio.cors.origins.empty());
    CHECK_FALSE(cfg.engineio.cors.credentials);
    CHECK(cfg.engineio.max_pending_bytes == 4194304);
    CHECK(cfg.engineio.slow_consumer_timeout == 10000ms);
    CHECK(cfg.engineio.socket_send_buffer == 0);
    CHECK(cfg.engineio.close_timeout == 3000ms);
    CHECK(cfg.engineio.flush_window == std::chrono::microseconds(0));
    CHECK(cfg.drain.spread == 5000ms);
    CHECK(cfg.drain.timeout == 20000ms);
    CHECK(cfg.limits.max_symbols_per_request == 50);
    CHECK(cfg.limits.max_tickers_per_connection == 200);
    CHECK(cfg.limits.max_connections_per_user == 32);
    CHECK(cfg.engineio.max_sessions == 0);
    CHECK_FALSE(cfg.auth.issuer);
    CHECK_FALSE(cfg.auth.audience);
    CHECK(cfg.auth.leeway == 30s);
    CHECK(cfg.feed.kind == "scripted");
    CHECK(cfg.feed.tick_interval == 1000ms);
    CHECK(cfg.feed.snapshot_delay == 0ms);
    CHECK(cfg.feed.exchanges == std::vector<std::string>{"bybit"});
    CHECK(cfg.log_level == "info");
}

} // namespace

//------------------------------------------------------------------------------

TEST_CASE("a default-constructed daemon_config has the documented defaults", "[config]")
{
    daemon_config cfg;
    check_defaults(cfg);
    CHECK(cfg.auth.keys.empty());
}

TEST_CASE("a config with only a key keeps every default", "[config]")
{
    auto r = load_file(data_dir / "minimal.toml");
    INFO((r.has_error() ? r.error().message : ""));
    REQUIRE(r.has_value());
    check_defaults(*r);
    CHECK(r->source == data_dir / "minimal.toml");
    REQUIRE(r->auth.keys.size() == 1);
    CHECK(r->auth.keys[0].alg == "HS256");
    CHECK(r->auth.keys[0].kid.empty());
    CHECK(r->auth.keys[0].material == "minimal-fixture-secret-0123456789abcdef");
}

TEST_CASE("the shipped etc/tradepushd.toml loads and documents the real defaults", "[config]")
{
    auto r = load_file(repo_etc / "tradepushd.toml");
    INFO((r.has_error() ? r.error().message : ""));
    REQUIRE(r.has_value());
    // The file states every default explicitly; if code and file drift apart this fails.
    check_defaults(*r);
    REQUIRE(r->auth.keys.size() == 1);
    auto const& key = r->auth.keys[0];
    CHECK(key.kid == "dev");
    CHECK(key.alg == "HS256");
    // Other tests mint tokens with this development secret.
    CHECK(key.material == "dev-only-change-me-0123456789abcdef");
    CHECK(key.material.size() >= 32);
    // The package's sysusers file creates this group and the unit joins it (SupplementaryGroups=).
    CHECK(r->admin.group == "tradepushd-admin");
    CHECK(r->admin.admin_group == "tradepushd-admin");
}

TEST_CASE("every key reaches daemon_config", "[config]")
{
    auto r = load_file(data_dir / "full.toml");
    INFO((r.has_error() ? r.error().message : ""));
    REQUIRE(r.has_value());
    auto const& cfg = *r;

    REQUIRE(cfg.listeners.size() == 2);
    CHECK(cfg.listeners[0] == listener{"0.0.0.0", 0});
    CHECK(cfg.listeners[1] == listener{"::1", 9443});
    CHECK(cfg.workers == 3);
    CHECK(cfg.engineio.path == "/rt/");
    CHECK(cfg.engineio.ping_interval == 1000ms);
    CHECK(cfg.engineio.ping_timeout == 2000ms);
    CHECK(cfg.engineio.upgrade_timeout == 3000ms);
    CHECK(cfg.connect_timeout == 4000ms);
    CHECK(cfg.engineio.max_payload == 65536);
    CHECK(cfg.engineio.flush_window == std::chrono::microseconds(2500));
    CHECK_FALSE(cfg.engineio.allow_polling);
    CHECK(cfg.engineio.allow_websocket);
    CHECK_FALSE(cfg.engineio.allow_upgrades);
    CHECK(cfg.engineio.cors.origins == std::vector<std::string>{"https://app.example.com", "http://localhost:3000"});
    CHECK(cfg.engineio.cors.credentials);

    CHECK(cfg.engineio.max_pending_bytes == 131072);
    CHECK(cfg.engineio.slow_consumer_timeout == 500ms);
    CHECK(cfg.engineio.socket_send_buffer == 262144);
    CHECK(cfg.limits.max_symbols_per_request == 7);
    CHECK(cfg.limits.max_tickers_per_connection == 9);
    CHECK(cfg.limits.max_connections_per_user == 2);
    CHECK(cfg.engineio.max_sessions == 5000);

    CHECK(cfg.auth.issuer == "https://auth.example.com/");
    CHECK(cfg.auth.audience == "tradepush-test");
    CHECK(cfg.auth.leeway == 5s);
    REQUIRE(cfg.auth.keys.size() == 3);
    CHECK(cfg.auth.keys[0].kid == "file");
    CHECK(cfg.auth.keys[0].alg == "HS256");
    CHECK(cfg.auth.keys[1].kid == "rsa");
    CHECK(cfg.auth.keys[1].alg == "RS256");
    CHECK(cfg.auth.keys[2].kid.empty());
    CHECK(cfg.auth.keys[2].alg == "ES256");

    CHECK(cfg.feed.kind == "scripted");
    CHECK(cfg.feed.tick_interval == 50ms);
    CHECK(cfg.feed.snapshot_delay == 250ms);
    CHECK(cfg.feed.exchanges == std::vector<std::string>{"bybit", "sim_2"});
    CHECK(cfg.log_level == "debug");
}

//------------------------------------------------------------------------------
// Key files

TEST_CASE("secret_file resolves against the config's directory and drops the trailing newline", "[config][auth]")
{
    auto const expected = std::string("test-only-hs256-secret-from-file-0123456789");
    REQUIRE(read_all(data_dir / "keys" / "hs256.secret") == expected + "\n");

    SECTION("relative to base_dir")
    {
        auto r = load_raw(R"(
[[auth.keys]]
alg = "HS256"
secret_file = "keys/hs256.secret"
)");
        INFO((r.has_error() ? r.error().message : ""));
        REQUIRE(r.has_value());
        CHECK(r->auth.keys[0].material == expected);
    }
    SECTION("relative to the file's own directory through load_file")
    {
        auto r = load_file(data_dir / "full.toml");
        REQUIRE(r.has_value());
        CHECK(r->auth.keys[0].material == expected);
    }
    SECTION("absolute paths are used as they are")
    {
        auto const abs = (data_dir / "keys" / "hs256.secret").string();
        auto r = load_string("[[auth.keys]]\nalg = \"HS256\"\nsecret_file = \"" + abs + "\"\n", "test.toml", "/nonexistent");
        INFO((r.has_error() ? r.error().message : ""));
        REQUIRE(r.has_value());
        CHECK(r->auth.keys[0].material == expected);
    }
    SECTION("a missing file names the resolved path and the OS reason")
    {
        auto r = load_raw(R"(
[[auth.keys]]
alg = "HS256"
secret_file = "keys/missing.secret"
)");
        expect_error_at(r, 3, "No such file or directory");
        CHECK_THAT(r.error().message, Catch::Contains((data_dir / "keys" / "missing.secret").string()));
    }
    SECTION("a short file secret is refused without showing it")
    {
        auto r = load_raw(R"(
[[auth.keys]]
alg = "HS256"
secret_file = "keys/short.secret"
)");
        expect_error_at(r, 3, "at least 32");
        CHECK_THAT(r.error().message, !Catch::Contains("too-short-secret"));
    }
}

TEST_CASE("public_key_file reads the PEM into material", "[config][auth]")
{
    SECTION("RS256 and ES256")
    {
        auto r = load_raw(R"(
[[auth.keys]]
alg = "RS256"
public_key_file = "keys/rs256.pub.pem"
[[auth.keys]]
alg = "ES256"
public_key_file = "./keys/../keys/es256.pub.pem"
)");
        INFO((r.has_error() ? r.error().message : ""));
        REQUIRE(r.has_value());
        CHECK(r->auth.keys[0].material == read_all(data_dir / "keys" / "rs256.pub.pem"));
        CHECK_THAT(r->auth.keys[0].material, Catch::StartsWith("-----BEGIN PUBLIC KEY-----"));
        CHECK(r->auth.keys[1].material == read_all(data_dir / "keys" / "es256.pub.pem"));
    }
    SECTION("missing file")
    {
        expect_error_at(load_raw(R"(
[[auth.keys]]
alg = "RS256"
public_key_file = "keys/nope.pem"
)"),
            3, "No such file or directory");
    }
    SECTION("not a PEM file")
    {
        expect_error_at(load_raw(R"(
[[auth.keys]]
alg = "ES256"
public_key_file = "keys/not-a-key.txt"
)"),
            3, "is not a PEM file");
    }
    SECTION("a private key is refused")
    {
        expect_error_at(load_raw(R"(
[[auth.keys]]
alg = "RS256"
public_key_file = "keys/fake-private.pem"
)"),
            3, "private key");
    }
    SECTION("a directory is refused")
    {
        expect_error_at(load_raw(R"(
[[auth.keys]]
alg = "RS256"
public_key_file = "keys"
)"),
            3, "not a regular file");
    }
    SECTION("RS256 requires public_key_file")
    {
        expect_error_at(load_raw(R"(
[auth]
leeway_s = 1

[[auth.keys]]
alg = "RS256"
)"),
            4, "public_key_file: missing");
    }
}

//------------------------------------------------------------------------------
// Error classes, each with its position

TEST_CASE("a TOML syntax error reports toml++'s position", "[config][errors]")
{
    SECTION("from a file, prefixed with the file's path")
    {
        auto const path = data_dir / "syntax_error.toml";
        auto r = load_file(path);
        REQUIRE(r.has_error());
        CHECK_THAT(r.error().message, Catch::StartsWith(path.string() + ":3:"));
    }
    SECTION("a duplicate key")
    {
        expect_error_at(load(R"(
[server]
workers = 1
workers = 2
)"),
            3, "workers");
    }
}

TEST_CASE("unknown tables and keys are errors at the key", "[config][errors]")
{
    SECTION("from a file, with a suggestion")
    {
        auto const path = data_dir / "unknown_key.toml";
        auto r = load_file(path);
        REQUIRE(r.has_error());
        CHECK_THAT(r.error().message, Catch::StartsWith(path.string() + ":3:1: "));
        CHECK_THAT(r.error().message, Catch::Contains("unknown key 'server.wrokers'"));
        CHECK_THAT(r.error().message, Catch::Contains("did you mean 'workers'"));
    }
    SECTION("unknown table")
    {
        expect_error_at(load(R"(
[server]
workers = 1

[sever]
workers = 1
)"),
            4, "unknown key 'sever'");
    }
    SECTION("the first unknown key in file order is reported")
    {
        // toml++ keeps keys sorted; "aaa" sorts first but "zzz" comes first in the file.
        expect_error_at(load(R"(
[limits]
zzz = 1
aaa = 2
)"),
            2, "unknown key 'limits.zzz'");
    }
    SECTION("inside [[auth.keys]]")
    {
        expect_error_at(load_raw(R"(
[[auth.keys]]
alg = "HS256"
secret = "unit-test-secret-0123456789abcdef-xyz"
secert_file = "x"
)"),
            4, "unknown key 'auth.keys[0].secert_file'");
    }
    SECTION("in a dotted key")
    {
        expect_error_at(load(R"(
log.level = "warn"
log.colour = true
)"),
            2, "unknown key 'log.colour'");
    }
}

TEST_CASE("wrong types are errors at the value", "[config][errors]")
{
    SECTION("string for integer")
    {
        expect_error_at(load(R"(
[server]
path = "/socket.io/"
workers = "4"
)"),
            3, "server.workers: expected an integer, found a string");
    }
    SECTION("float for integer")
    {
        expect_error_at(load(R"(
[feed]
tick_interval_ms = 1.5
)"),
            2, "expected an integer, found a floating-point number");
    }
    SECTION("integer for boolean")
    {
        expect_error_at(load(R"(
[server]
allow_upgrades = 1
)"),
            2, "expected a boolean");
    }
    SECTION("string for array")
    {
        expect_error_at(load(R"(
[server]
listen = "127.0.0.1:8080"
)"),
            2, "expected an array of strings");
    }
    SECTION("non-string array element")
    {
        expect_error_at(load(R"(
[server]
listen = [
  "127.0.0.1:8080",
  8081,
]
)"),
            4, "server.listen[1]: expected a string, found an integer");
    }
    SECTION("value for table")
    {
        expect_error_at(load(R"(
feed = "scripted"
)"),
            1, "feed: expected a table");
    }
    SECTION("a secret of the wrong type is not echoed")
    {
        expect_error_at(load_raw(R"(
[[auth.keys]]
alg = "HS256"
secret = ["unit-test-secret-0123456789abcdef-xyz"]
)"),
            3, "expected a string, found an array");
    }
}

TEST_CASE("integers out of range are errors at the value", "[config][errors]")
{
    struct range_case {
        char const* text;
        int line;
        char const* fragment;
    };
    auto const cases = {
        range_case{"[server]\nping_interval_ms = 99\n", 2, "server.ping_interval_ms: 99 is out of range 100..600000"},
        range_case{"[server]\nping_timeout_ms = 600001\n", 2, "out of range"},
        range_case{"[server]\nworkers = -1\n", 2, "-1 is out of range 0..256"},
        range_case{"[server]\nmax_payload = 1023\n", 2, "out of range 1024..67108864"},
        range_case{"[server]\nmax_payload = 67108865\n", 2, "out of range"},
        range_case{"[server]\nflush_window_us = 50001\n", 2, "server.flush_window_us: 50001 is out of range 0..50000"},
        range_case{"[server]\nflush_window_us = -1\n", 2, "out of range"},
        range_case{"[limits]\nmax_connections_per_user = 0\n", 2, "out of range 1..100000"},
        range_case{"[limits]\nmax_connections = -1\n", 2, "limits.max_connections: -1 is out of range 0..10000000"},
        range_case{"[limits]\nsocket_send_buffer = 9223372036854775807\n", 2, "out of range"},
        range_case{"[auth]\nleeway_s = 3601\n", 2, "auth.leeway_s"},
        range_case{"[feed]\nsnapshot_delay_ms = -5\n", 2, "out of range 0..60000"},
    };
    for (auto const& c : cases) {
        INFO(c.text);
        expect_error_at(load(c.text), c.line, c.fragment);
    }
}

TEST_CASE("[server] drain keys: values, ranges, and the spread must fit in the deadline", "[config]")
{
    auto r = load("[server]\ndrain_spread_ms = 2000\nclose_timeout_ms = 500\ndrain_timeout_ms = 10000\n");
    INFO((r.has_error() ? r.error().message : ""));
    REQUIRE(r.has_value());
    CHECK(r->drain.spread == 2000ms);
    CHECK(r->engineio.close_timeout == 500ms);
    CHECK(r->drain.timeout == 10000ms);

    auto zero = load("[server]\ndrain_spread_ms = 0\n");
    REQUIRE(zero.has_value());
    CHECK(zero->drain.spread == 0ms);

    expect_error_at(load("[server]\ndrain_spread_ms = 30001\n"), 2, "server.drain_spread_ms: 30001 is out of range 0..30000");
    expect_error_at(load("[server]\ndrain_timeout_ms = 40001\n"), 2, "out of range 1000..40000");
    expect_error_at(load("[server]\nclose_timeout_ms = 99\n"), 2, "out of range 100..10000");
    // 20 s of spread + 3 s of close timeout cannot end within a 20 s deadline.
    expect_error_at(load("[server]\ndrain_spread_ms = 20000\ndrain_timeout_ms = 20000\n"), 3,
        "server.drain_timeout_ms: drain_spread_ms (20000) + close_timeout_ms (3000) must not exceed drain_timeout_ms (20000)");
}

TEST_CASE("bad listeners are errors at the array element", "[config][errors]")
{
    expect_error_at(load(R"(
[server]
listen = ["127.0.0.1:8080",
          "::1:8080"]
)"),
        3, "server.listen: '::1:8080': an IPv6 address must be in brackets");
    expect_error_at(load("[server]\nlisten = [\"127.0.0.1\"]\n"), 2, "missing ':port'");
    expect_error_at(load("[server]\nlisten = []\n"), 2, "at least one address");
    expect_error_at(load("[server]\nlisten = [\"127.0.0.1:1\", \"127.0.0.1:1\"]\n"), 2, "listed twice");

    std::string many = "[server]\nlisten = [";
    for (int i = 0; i < 17; ++i)
        many += "\"127.0.0.1:" + std::to_string(9000 + i) + "\",";
    many += "]\n";
    expect_error_at(load(many), 2, "at most 16");
}

TEST_CASE("at least one auth key is required", "[config][errors][auth]")
{
    SECTION("no [auth] at all: no position, clear message")
    {
        auto r = load_raw("[server]\nworkers = 1\n");
        REQUIRE(r.has_error());
        CHECK(r.error().message.starts_with("test.toml: "));
        CHECK_THAT(r.error().message, Catch::Contains("no JWT keys configured"));
    }
    SECTION("[auth] without keys: at the table")
    {
        expect_error_at(load_raw(R"(
[server]
workers = 1
[auth]
leeway_s = 10
)"),
            3, "no JWT keys configured");
    }
    SECTION("an empty key list: at the list")
    {
        expect_error_at(load_raw("[auth]\n\nkeys = []\n"), 3, "no JWT keys configured");
    }
    SECTION("keys must be tables")
    {
        expect_error_at(load_raw("[auth]\nkeys = \"k\"\n"), 2, "expected an array of tables");
    }
}

TEST_CASE("HS256 key rules", "[config][errors][auth]")
{
    SECTION("a secret shorter than 32 bytes, not echoed")
    {
        auto r = load_raw(R"(
[[auth.keys]]
alg = "HS256"
secret = "0123456789abcdef0123456789abcde"
)");
        expect_error_at(r, 3, "the HS256 secret is 31 bytes; at least 32");
        CHECK_THAT(r.error().message, !Catch::Contains("0123456789abcdef"));
    }
    SECTION("exactly 32 bytes is enough")
    {
        auto r = load_raw("[[auth.keys]]\nalg = \"HS256\"\nsecret = \"0123456789abcdef0123456789abcdef\"\n");
        CHECK(r.has_value());
    }
    SECTION("both secret and secret_file")
    {
        expect_error_at(load_raw(R"(
[[auth.keys]]
alg = "HS256"
secret = "unit-test-secret-0123456789abcdef-xyz"
secret_file = "keys/hs256.secret"
)"),
            4, "either secret or secret_file");
    }
    SECTION("neither: at the key's header")
    {
        expect_error_at(load_raw(R"(
[auth]
[[auth.keys]]
kid = "a"
alg = "HS256"
)"),
            2, "needs secret or secret_file");
    }
    SECTION("public_key_file is not for HS256")
    {
        expect_error_at(load_raw(R"(
[[auth.keys]]
alg = "HS256"
secret = "unit-test-secret-0123456789abcdef-xyz"
public_key_file = "keys/rs256.pub.pem"
)"),
            4, "only for RS256/ES256");
    }
    SECTION("a secret is not for RS256, and is not echoed")
    {
        expect_error_at(load_raw(R"(
[[auth.keys]]
alg = "RS256"
secret = "unit-test-secret-0123456789abcdef-xyz"
)"),
            3, "verifies with a public key");
    }
    SECTION("alg is required and checked")
    {
        expect_error_at(load_raw("[[auth.keys]]\nsecret = \"unit-test-secret-0123456789abcdef-xyz\"\n"), 1, "alg: missing");
        expect_error_at(load_raw("[[auth.keys]]\nalg = \"none\"\nsecret = \"unit-test-secret-0123456789abcdef-xyz\"\n"), 2,
            "unsupported algorithm 'none'");
        expect_error_at(load_raw("[[auth.keys]]\nalg = \"hs256\"\nsecret = \"unit-test-secret-0123456789abcdef-xyz\"\n"), 2,
            "unsupported algorithm");
    }
    SECTION("kids are unique")
    {
        expect_error_at(load_raw(R"(
[[auth.keys]]
kid = "k1"
alg = "RS256"
public_key_file = "keys/rs256.pub.pem"

[[auth.keys]]
kid = "k1"
alg = "ES256"
public_key_file = "keys/es256.pub.pem"
)"),
            7, "'k1' is already used by auth.keys[0]");
        expect_error_at(load_raw("[[auth.keys]]\nkid = \"\"\nalg = \"HS256\"\nsecret = \"unit-test-secret-0123456789abcdef-xyz\"\n"),
            2, "must not be empty");
    }
}

TEST_CASE("CORS rules", "[config][errors]")
{
    SECTION("\"*\" with credentials is an error at cors_credentials")
    {
        expect_error_at(load(R"(
[server]
cors_origins = ["*"]
allow_upgrades = true
cors_credentials = true
)"),
            4, "cannot be combined with cors_origins = [\"*\"]");
    }
    SECTION("the same, keys in the other order")
    {
        expect_error_at(load(R"(
[server]
cors_credentials = true
cors_origins = ["*"]
)"),
            2, "cannot be combined");
    }
    SECTION("\"*\" without credentials and explicit origins with credentials are fine")
    {
        auto a = load("[server]\ncors_origins = [\"*\"]\ncors_credentials = false\n");
        CHECK(a.has_value());
        auto b = load("[server]\ncors_origins = [\"https://a.example\"]\ncors_credentials = true\n");
        REQUIRE(b.has_value());
        CHECK(b->engineio.cors.credentials);
    }
    SECTION("\"*\" must be alone")
    {
        expect_error_at(load("[server]\ncors_origins = [\"https://a.example\", \"*\"]\n"), 2, "must be the only entry");
    }
    SECTION("origins have no path")
    {
        expect_error_at(load("[server]\ncors_origins = [\"https://a.example/\"]\n"), 2, "is not an origin");
        expect_error_at(load("[server]\ncors_origins = [\"a.example\"]\n"), 2, "is not an origin");
        expect_error_at(load("[server]\ncors_origins = [\"https://\"]\n"), 2, "is not an origin");
    }
}

TEST_CASE("string values are validated", "[config][errors]")
{
    expect_error_at(load("[server]\npath = \"socket.io/\"\n"), 2, "must start and end with '/'");
    expect_error_at(load("[server]\npath = \"/socket.io\"\n"), 2, "must start and end with '/'");
    expect_error_at(load("[server]\npath = \"/a?b/\"\n"), 2, "must not contain");
    expect_error_at(load("[server]\ntransports = []\n"), 2, "at least one");
    expect_error_at(load("[server]\ntransports = [\"polling\", \"flash\"]\n"), 2, "unknown transport 'flash'");
    expect_error_at(load("[server]\ntransports = [\"polling\", \"polling\"]\n"), 2, "listed twice");
    expect_error_at(load("[feed]\nkind = \"bybit\"\n"), 2, "unknown feed 'bybit'");
    expect_error_at(load("[feed]\nexchanges = []\n"), 2, "at least one exchange");
    expect_error_at(load("[feed]\nexchanges = [\"Bybit\"]\n"), 2, "is not an exchange id");
    expect_error_at(load("[feed]\nexchanges = [\"bybit\", \"bybit\"]\n"), 2, "listed twice");
    expect_error_at(load("[log]\nlevel = \"warning\"\n"), 2, "unknown level 'warning'");
    expect_error_at(load("[auth]\nissuer = \"\"\n"), 2, "must not be empty");

    auto polling_only = load("[server]\ntransports = [\"polling\"]\n");
    REQUIRE(polling_only.has_value());
    CHECK(polling_only->engineio.allow_polling);
    CHECK_FALSE(polling_only->engineio.allow_websocket);
}

//------------------------------------------------------------------------------
// Files and results

TEST_CASE("a missing config file names the path and the OS reason", "[config][errors]")
{
    auto const path = data_dir / "does-not-exist.toml";
    auto r = load_file(path);
    REQUIRE(r.has_error());
    CHECK_THAT(r.error().message, Catch::StartsWith(path.string() + ": "));
    CHECK_THAT(r.error().message, Catch::Contains("No such file or directory"));

    auto d = load_file(data_dir);
    REQUIRE(d.has_error());
    CHECK_THAT(d.error().message, Catch::Contains("not a regular file"));
}

TEST_CASE("load_string records its source name", "[config]")
{
    auto r = load(R"(
[log]
level = "off"
)");
    REQUIRE(r.has_value());
    CHECK(r->source == "test.toml");
    CHECK(r->log_level == "off");
}

TEST_CASE("value() on a failed load throws with the message", "[config]")
{
    auto r = load("[log]\nlevel = 3\n");
    REQUIRE(r.has_error());
    CHECK_THROWS_WITH(r.value(), Catch::Contains("test.toml:2:9: log.level: expected a string"));
}

TEST_CASE("feed.tick_interval_ms: 0 means never, 1..9 is refused", "[config]")
{
    auto never = load(R"(
[feed]
tick_interval_ms = 0
)");
    REQUIRE(never.has_value());
    CHECK(never->feed.tick_interval == 0ms);

    expect_error_at(load(R"(
[feed]
tick_interval_ms = 5
)"),
        2, "out of range (0, or 10..3600000)");
}

TEST_CASE("[plugins]: files resolve against dir, config must be JSON, missing files are errors", "[config]")
{
    // data_dir (tests/data/config) holds full.toml: use it as a stand-in "plugin file".
    auto ok = load(R"(
[plugins]
dir = "."
run_dir = "run"
[[plugins.load]]
file = "full.toml"
config = '{"tick_ms": 0}'
[[plugins.load]]
file = "minimal.toml"
)");
    REQUIRE(ok.has_value());
    REQUIRE(ok->plugins.load.size() == 2);
    CHECK(ok->plugins.load[0].file == (data_dir / "full.toml").lexically_normal());
    CHECK(ok->plugins.load[0].config_json == R"({"tick_ms": 0})");
    CHECK(ok->plugins.load[1].config_json == "{}");
    CHECK(ok->plugins.run_dir == (data_dir / "run").lexically_normal());
    CHECK(ok->plugins.upstream_connections == 32);

    auto const bound = load("[plugins]\nupstream_connections = 4\n");
    REQUIRE(bound.has_value());
    CHECK(bound->plugins.upstream_connections == 4);
    expect_error_at(load("[plugins]\nupstream_connections = 0\n"), 2, "out of range");
    expect_error_at(load("[plugins]\nupstream_connections = 1025\n"), 2, "out of range");

    expect_error_at(load(R"(
[plugins]
dir = "."
[[plugins.load]]
file = "no-such-plugin.so"
)"),
        4, "is not a readable file");

    expect_error_at(load(R"(
[plugins]
dir = "."
[[plugins.load]]
file = "full.toml"
config = '{"tick_ms": }'
)"),
        5, "not valid JSON");

    expect_error_at(load(R"(
[plugins]
[[plugins.load]]
config = '{}'
)"),
        2, "file: required");
}

TEST_CASE("[auth] token policy: require_exp and max_lifetime_s, with safe defaults", "[config][auth]")
{
    auto const defaults = load_raw("[[auth.keys]]\nalg = \"HS256\"\nsecret = \"0123456789abcdef0123456789abcdef\"\n");
    REQUIRE(defaults.has_value());
    CHECK(defaults->auth.require_exp);
    CHECK(defaults->auth.max_lifetime == std::chrono::hours(24));

    auto const set = load_raw("[auth]\nrequire_exp = false\nmax_lifetime_s = 0\n[[auth.keys]]\nalg = \"HS256\"\n"
                              "secret = \"0123456789abcdef0123456789abcdef\"\n");
    REQUIRE(set.has_value());
    CHECK_FALSE(set->auth.require_exp);
    CHECK(set->auth.max_lifetime == std::chrono::seconds(0));

    expect_error_at(load_raw("[auth]\nmax_lifetime_s = -1\n"), 2, "auth.max_lifetime_s");
    expect_error_at(load_raw("[auth]\nrequire_exp = \"yes\"\n"), 2, "auth.require_exp");
}

TEST_CASE("[server] trusted_proxies and proxy_protocol", "[config][edge]")
{
    auto const key = "[[auth.keys]]\nalg = \"HS256\"\nsecret = \"0123456789abcdef0123456789abcdef\"\n";
    auto ok = load_raw(std::string("[server]\ntrusted_proxies = [\"10.0.0.5\", \"192.168.0.0/16\", \"fd00::/8\", \"::1\"]\n"
                                   "proxy_protocol = true\nheader_timeout_ms = 2000\n") + key);
    REQUIRE(ok.has_value());
    auto const& t = ok->connection.trusted_proxies;
    namespace ip = boost::asio::ip;
    CHECK(t.contains(ip::make_address("10.0.0.5")));
    CHECK_FALSE(t.contains(ip::make_address("10.0.0.6")));
    CHECK(t.contains(ip::make_address("192.168.77.1")));
    CHECK(t.contains(ip::make_address("::ffff:192.168.1.1")));
    CHECK(t.contains(ip::make_address("fd12:3456::1")));
    CHECK(t.contains(ip::make_address("::1")));
    CHECK_FALSE(t.contains(ip::make_address("fe80::1")));
    CHECK(ok->connection.proxy_protocol);
    CHECK(ok->connection.header_timeout == std::chrono::milliseconds(2000));

    expect_error_at(load_raw("[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n"), 2, "server.trusted_proxies");
    expect_error_at(load_raw("[server]\ntrusted_proxies = [\"proxy.example\"]\n"), 2, "is not an address or network");
    expect_error_at(load_raw("[server]\nproxy_protocol = true\n"), 2, "needs trusted_proxies");
}

TEST_CASE("[limits] per-address and unauthenticated limits", "[config][edge]")
{
    auto r = load_raw("[limits]\nmax_sockets_per_address = 0\nhandshakes_per_second_per_address = 5\n"
                      "handshake_burst_per_address = 7\nmax_unauthenticated_connections = 9\nmax_failed_connects = 0\n"
                      "failed_logins_per_address = 4\n[[auth.keys]]\nalg = \"HS256\"\n"
                      "secret = \"0123456789abcdef0123456789abcdef\"\n");
    REQUIRE(r.has_value());
    CHECK(r->connection.max_sockets_per_address == 0);
    CHECK(r->connection.handshakes_per_second_per_address == 5);
    CHECK(r->connection.handshake_burst_per_address == 7);
    CHECK(r->connection.max_unauthenticated_sessions == 9);
    CHECK(r->max_failed_connects == 0);
    CHECK(r->failed_logins_per_address == 4);
    expect_error_at(load_raw("[limits]\nhandshake_burst_per_address = 0\n"), 2, "limits.handshake_burst_per_address");
}
