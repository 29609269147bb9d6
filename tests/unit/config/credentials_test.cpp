// The credentials store: format, validation with positions, permission check, no secret in any message,
// and [credentials] in the daemon config.
#include "config/credentials.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace fs = std::filesystem;
using tradepush::config::load_credentials_file;
using tradepush::config::load_credentials_string;
using tradepush::config::load_string;

namespace {

constexpr char const* secret = "S3cr3t-never-shown";

std::string const good = R"([[users.alice]]
label = "main"
exchange = "bybit"
network = "testnet"
api_key = "KEY-A1"
api_secret = "S3cr3t-never-shown"

[[users.alice]]
label = "demo-2"
exchange = "bybit"
network = "demo"
api_key = "KEY-A2"
api_secret = "another"

[[users."42"]]
label = "main"
exchange = "binance"
network = "mainnet"
api_key = "KEY-B"
api_secret = "x"
)";

/// A scratch directory for files with given modes, removed at the end of the test.
struct scratch {
    fs::path dir;
    scratch()
    {
        dir = fs::temp_directory_path() / ("tradepush-creds-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
    }
    ~scratch() { fs::remove_all(dir); }
    fs::path
    write(std::string const& name, std::string const& text, mode_t mode)
    {
        auto p = dir / name;
        std::ofstream(p) << text;
        ::chmod(p.c_str(), mode);
        return p;
    }
};

} // namespace

TEST_CASE("a credentials file lists each user's accounts in order", "[config][credentials]")
{
    auto r = load_credentials_string(good, "creds.toml");
    REQUIRE(r.has_value());
    CHECK(r->users.size() == 2);
    CHECK(r->accounts() == 3);
    auto const& alice = r->users.at("alice");
    REQUIRE(alice.size() == 2);
    CHECK(alice[0].label == "main"); // the default for subscribe_trading
    CHECK(alice[0].exchange == "bybit");
    CHECK(alice[0].network == "testnet");
    CHECK(alice[0].api_key == "KEY-A1");
    CHECK(alice[0].api_secret == secret);
    CHECK(alice[1].network == "demo");
    CHECK(r->users.at("42")[0].exchange == "binance");
    // An empty file is an empty store.
    auto empty = load_credentials_string("", "creds.toml");
    REQUIRE(empty.has_value());
    CHECK(empty->users.empty());
}

TEST_CASE("bad credentials are refused at their position, never quoting a secret", "[config][credentials]")
{
    struct bad {
        char const* text;
        char const* says;
    };
    bad const cases[] = {
        {"[[users.a]]\nlabel = \"main\"\nexchange = \"bybit\"\nnetwork = \"moon\"\napi_key = \"k\"\napi_secret = \"S3cr3t-never-shown\"\n",
            "creds.toml:4:11: users.a[0].network: expected mainnet, testnet or demo"},
        {"[[users.a]]\nlabel = \"main\"\nexchange = \"bybit\"\nnetwork = \"demo\"\napi_key = \"k\"\n",
            "users.a[0].api_secret: required"},
        {"[[users.a]]\nlabel = \"main\"\nexchange = \"bybit\"\nnetwork = \"demo\"\napi_key = \"k\"\napi_secret = \"S3cr3t never-shown\"\n",
            "users.a[0].api_secret: 1 to 256 printable characters without spaces"},
        {"[[users.a]]\nlabel = \"m\"\nexchange = \"bybit\"\nnetwork = \"demo\"\napi_key = \"k\"\napi_secret = \"s\"\n"
         "[[users.a]]\nlabel = \"m\"\nexchange = \"bybit\"\nnetwork = \"demo\"\napi_key = \"k\"\napi_secret = \"S3cr3t-never-shown\"\n",
            "users.a[1].label: 'm' is used twice for this user"},
        {"[[users.a]]\nlabel = \"main\"\nexchange = \"bybit\"\nnetwork = \"demo\"\napi_key = \"k\"\napi_secret = \"s\"\napi_secrte = \"S3cr3t-never-shown\"\n",
            "api_secrte"},
        {"[users.a]\nlabel = \"main\"\n", "users.a"},
        {"[[users.a]]\nlabel = \"main\"\napi_secret = \"S3cr3t-never-shown\n", "not valid TOML"},
        {"[people]\n", "people"},
    };
    for(auto const& c : cases) {
        INFO(c.text);
        auto r = load_credentials_string(c.text, "creds.toml");
        REQUIRE(r.has_error());
        INFO(r.error().message);
        CHECK(r.error().message.find(c.says) != std::string::npos);
        CHECK(r.error().message.find(secret) == std::string::npos);
        CHECK(r.error().message.find("S3cr3t never") == std::string::npos);
    }
}

TEST_CASE("a credentials file readable by group or others is refused", "[config][credentials]")
{
    scratch s;
    auto const ok = s.write("ok.toml", good, 0600);
    REQUIRE(load_credentials_file(ok).has_value());
    CHECK(load_credentials_file(s.write("ro.toml", good, 0400)).has_value());
    for(mode_t mode : {0640, 0604, 0620, 0602, 0644}) {
        auto const p = s.write("m" + std::to_string(mode) + ".toml", good, mode);
        auto r = load_credentials_file(p);
        REQUIRE(r.has_error());
        INFO(r.error().message);
        CHECK(r.error().message.find(p.string()) == 0);
        CHECK(r.error().message.find("chmod 600") != std::string::npos);
    }
    auto missing = load_credentials_file(s.dir / "nope.toml");
    REQUIRE(missing.has_error());
    CHECK(missing.error().message.find("No such file") != std::string::npos);
    auto dir = load_credentials_file(s.dir);
    REQUIRE(dir.has_error());
    CHECK(dir.error().message.find("not a regular file") != std::string::npos);
}

TEST_CASE("[credentials] file loads the store with the config, relative to its directory", "[config][credentials]")
{
    scratch s;
    s.write("creds.toml", good, 0600);
    std::string const keys = "\n[[auth.keys]]\nalg = \"HS256\"\nsecret = \"unit-test-secret-0123456789abcdef-xyz\"\n";
    auto cfg = load_string("[credentials]\nfile = \"creds.toml\"\n" + keys, "test.toml", s.dir);
    REQUIRE(cfg.has_value());
    CHECK(cfg->credentials.file == s.dir / "creds.toml");
    REQUIRE(cfg->credentials.store);
    CHECK(cfg->credentials.store->accounts() == 3);

    // Without the section there is no store.
    auto none = load_string(keys, "test.toml", s.dir);
    REQUIRE(none.has_value());
    CHECK_FALSE(none->credentials.store);

    // A refused store refuses the config, at the key.
    s.write("open.toml", good, 0644);
    auto bad = load_string("[credentials]\nfile = \"open.toml\"\n" + keys, "test.toml", s.dir);
    REQUIRE(bad.has_error());
    CHECK(bad.error().message.find("test.toml:2:8: credentials.file: ") == 0);
    CHECK(bad.error().message.find("chmod 600") != std::string::npos);
}
