// The real tradepushctl binary against an in-process admin server: exit codes 0-4, table and
// --json output, usage errors, and connecting as uid 65534 (setpriv) to see the hints.
#include "admin/server.hpp"

#include "admin/catch_result.hpp"
#include "admin/protocol.hpp"
#include "admin/test_util.hpp"

#include <boost/json/parse.hpp>

#include <spdlog/logger.h>

#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>

using namespace tradepush::admin;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

struct run_result {
    int status = -1; ///< exit code, or -1 if killed/timed out
    std::string out;
    std::string err;
};

// Runs argv with stdout/stderr captured; killed after 20 s (bounded, never hangs the suite).
run_result
run(std::vector<std::string> argv, std::vector<std::string> env = {})
{
    int out[2], err[2];
    REQUIRE(::pipe(out) == 0);
    REQUIRE(::pipe(err) == 0);
    pid_t pid = ::fork();
    if(pid == 0) {
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        ::close(out[0]);
        ::close(err[0]);
        for(auto const& e : env)
            ::putenv(const_cast<char*>(e.c_str()));
        std::vector<char*> args;
        for(auto& a : argv)
            args.push_back(a.data());
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    run_result r;
    auto const deadline = std::chrono::steady_clock::now() + 20s;
    pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
    int open = 2;
    while(open > 0 && std::chrono::steady_clock::now() < deadline) {
        if(::poll(fds, 2, 100) <= 0)
            continue;
        for(int i = 0; i < 2; ++i) {
            if(fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
                continue;
            char buf[4096];
            auto n = ::read(fds[i].fd, buf, sizeof buf);
            if(n <= 0) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open;
                continue;
            }
            (i == 0 ? r.out : r.err).append(buf, static_cast<std::size_t>(n));
        }
    }
    for(auto& f : fds)
        if(f.fd >= 0) {
            ::close(f.fd);
            ::kill(pid, SIGKILL);
        }
    int status = 0;
    ::waitpid(pid, &status, 0);
    r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// A server with daemon-shaped commands.
struct fixture {
    admin_test::temp_dir dir;
    options opts;
    std::unique_ptr<server> srv;

    explicit fixture(unsigned mode = 0660)
    {
        opts.path = dir.file("admin.sock");
        opts.mode = mode;
        opts.version = "1.2.3";
        opts.command_deadline = 300ms;
        opts.logger = std::make_shared<spdlog::logger>("cli-test", std::make_shared<admin_test::capture_sink>());
        srv = std::make_unique<server>(opts);
        REQUIRE(srv->add("status", level::read, "daemon state", [](json::object, caller const&, responder r) {
            r.ok(json::object{{"state", "running"}, {"version", "1.2.3"}, {"clients", 12},
                {"listeners", json::array{"127.0.0.1:8080", "[::1]:8080"}},
                {"plugins", json::array{json::object{{"name", "bybit"}, {"state", "up"}},
                                json::object{{"name", "example"}, {"state", "reloading"}}}}});
        }));
        REQUIRE(srv->add("sessions list", level::read, "sessions", [](json::object args, caller const&, responder r) {
            json::array rows{json::object{{"user", "alice"}, {"sid", "a1"}, {"transport", "websocket"}},
                json::object{{"user", "bob"}, {"sid", "b22222"}, {"transport", "polling"}}};
            if(auto const* u = args.if_contains("user")) {
                json::array only;
                for(auto const& row : rows)
                    if(row.at("user") == *u)
                        only.push_back(row);
                rows = std::move(only);
            }
            r.ok(std::move(rows));
        }));
        REQUIRE(srv->add("user flush", level::operate, "flush", [](json::object args, caller const&, responder r) {
            if(args.at("user") == "nobody-here") {
                r.fail(std::string(errc::not_found), "no user 'nobody-here'");
                return;
            }
            json::object res{{"user", args.at("user")}, {"flushed", 2}};
            if(auto const* x = args.if_contains("exchange"))
                res["exchange"] = *x;
            r.ok(std::move(res));
        }));
        REQUIRE(srv->add("config reload", level::admin, "reload", [](json::object, caller const&, responder) {
            // Never answers: the server's 300 ms deadline answers `timeout`.
        }));
        REQUIRE(srv->add(command{
            .name = "drain",
            .min_level = level::admin,
            .help = "drain",
            .handler = [](json::object, caller const&, responder) {},
            .deadline = 30s, // longer than the CLI's --timeout in the test
        }));
        auto started = srv->start();
        INFO((started ? std::string() : started.error()));
        REQUIRE(started);
    }

    run_result ctl(std::vector<std::string> args)
    {
        std::vector<std::string> argv{TRADEPUSHCTL_BIN, "--socket", opts.path};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv);
    }
};

} // namespace

TEST_CASE("exit 0: ping, and objects as key: value", "[tradepushctl]")
{
    fixture f;
    auto r = f.ctl({"ping"});
    INFO(r.err);
    CHECK(r.status == 0);
    CHECK(r.out.find("pong:") != std::string::npos);

    auto s = f.ctl({"status"});
    CHECK(s.status == 0);
    CHECK(s.out.find("state:     running\n") != std::string::npos);
    CHECK(s.out.find("listeners: 127.0.0.1:8080, [::1]:8080\n") != std::string::npos);
    // A nested array of objects becomes an indented table.
    CHECK(s.out.find("plugins:\n  NAME     STATE\n  bybit    up\n  example  reloading\n") != std::string::npos);
}

TEST_CASE("tables for arrays of objects; --json prints the response line", "[tradepushctl]")
{
    fixture f;
    auto t = f.ctl({"sessions", "list"});
    CHECK(t.status == 0);
    CHECK(t.out == "USER   SID     TRANSPORT\nalice  a1      websocket\nbob    b22222  polling\n");

    auto filtered = f.ctl({"sessions", "list", "--user", "bob"});
    CHECK(filtered.out == "USER  SID     TRANSPORT\nbob   b22222  polling\n");

    auto j = f.ctl({"--json", "sessions", "list", "--user=alice"});
    CHECK(j.status == 0);
    REQUIRE(j.out.back() == '\n');
    CHECK(j.out.find('\n') == j.out.size() - 1); // one line
    auto v = json::parse(j.out);
    CHECK(v.at("ok") == true);
    CHECK(v.at("id") == 1);
    CHECK(v.at("result").at(0).at("user") == "alice");
}

TEST_CASE("command words and options map to args", "[tradepushctl]")
{
    fixture f;
    auto r = f.ctl({"user", "flush", "alice", "--exchange", "bybit", "--json"});
    INFO(r.err);
    CHECK(r.status == 0);
    auto v = json::parse(r.out);
    CHECK(v.at("result").at("user") == "alice");
    CHECK(v.at("result").at("exchange") == "bybit");

    // Options before the positional, and the global option after the command.
    auto r2 = f.ctl({"user", "flush", "--exchange=bybit", "carol"});
    CHECK(r2.status == 0);
    CHECK(r2.out.find("user:     carol") != std::string::npos);

    // raw sends an object as is.
    auto raw = f.ctl({"raw", R"({"cmd":"user.flush","args":{"user":"dave"}})"});
    CHECK(raw.status == 0);
    CHECK(raw.out.find("dave") != std::string::npos);
}

TEST_CASE("exit 1: the command failed", "[tradepushctl]")
{
    fixture f;
    auto r = f.ctl({"user", "flush", "nobody-here"});
    CHECK(r.status == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find("user flush: no user 'nobody-here' (not_found)") != std::string::npos);

    auto j = f.ctl({"--json", "user", "flush", "nobody-here"});
    CHECK(j.status == 1);
    CHECK(json::parse(j.out).at("error").at("code") == "not_found");

    // A command this tradepushctl does not know is sent as is; the daemon says unknown_command.
    auto u = f.ctl({"frobnicate", "now", "--level", "high"});
    CHECK(u.status == 1);
    CHECK(u.err.find("unknown command 'frobnicate now'") != std::string::npos);
    CHECK(u.err.find("(unknown_command)") != std::string::npos);
}

TEST_CASE("exit 2: usage errors; --help exits 0", "[tradepushctl]")
{
    fixture f;
    CHECK(f.ctl({}).status == 2);
    auto missing = f.ctl({"user", "flush"});
    CHECK(missing.status == 2);
    CHECK(missing.err.find("needs <user>") != std::string::npos);
    CHECK(f.ctl({"user", "flush", "a", "b"}).status == 2);
    auto bad_opt = f.ctl({"user", "flush", "a", "--exchagne", "x"});
    CHECK(bad_opt.status == 2);
    CHECK(bad_opt.err.find("--exchagne") != std::string::npos);
    CHECK(f.ctl({"--timeout", "soon", "ping"}).status == 2);
    CHECK(f.ctl({"plugins", "reload"}).status == 2);
    CHECK(f.ctl({"drain", "--grace", "abc"}).status == 2);
    CHECK(f.ctl({"raw", "not json"}).status == 2);

    auto help = f.ctl({"--help"});
    CHECK(help.status == 0);
    CHECK(help.out.find("exit codes:") != std::string::npos);
    CHECK(help.out.find("user flush U") != std::string::npos);
}

TEST_CASE("exit 3: cannot connect, with a hint", "[tradepushctl]")
{
    admin_test::temp_dir dir;
    auto r = run({TRADEPUSHCTL_BIN, "--socket", dir.file("missing.sock"), "status"});
    CHECK(r.status == 3);
    CHECK(r.err.find(dir.file("missing.sock")) != std::string::npos);
    CHECK(r.err.find("(errno 2)") != std::string::npos);
    CHECK(r.err.find("is tradepushd running?") != std::string::npos);

    // $TRADEPUSH_ADMIN_SOCKET is the default socket.
    auto env = run({TRADEPUSHCTL_BIN, "status"}, {"TRADEPUSH_ADMIN_SOCKET=" + dir.file("env.sock")});
    CHECK(env.status == 3);
    CHECK(env.err.find(dir.file("env.sock")) != std::string::npos);

    // A full server answers busy: also exit 3.
    admin_test::temp_dir d2;
    options o;
    o.path = d2.file("admin.sock");
    o.max_connections = 1;
    o.logger = std::make_shared<spdlog::logger>("cli-busy", std::make_shared<admin_test::capture_sink>());
    server s(o);
    REQUIRE(s.start());
    admin_test::line_client hog(o.path);
    REQUIRE(hog.read_line());
    auto busy = run({TRADEPUSHCTL_BIN, "--socket", o.path, "ping"});
    CHECK(busy.status == 3);
    CHECK(busy.err.find("too many admin connections") != std::string::npos);
}

TEST_CASE("exit 4: timeouts, the daemon's deadline and --timeout", "[tradepushctl]")
{
    fixture f;
    // The handler never answers; the server's 300 ms deadline does.
    auto server_side = f.ctl({"config", "reload"});
    CHECK(server_side.status == 4);
    CHECK(server_side.err.find("(timeout)") != std::string::npos);

    // The server would wait 30 s; the CLI gives up first.
    auto const t0 = std::chrono::steady_clock::now();
    auto client_side = f.ctl({"--timeout", "400ms", "drain"});
    CHECK(client_side.status == 4);
    CHECK(client_side.err.find("no reply to 'drain'") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
}

TEST_CASE("as uid 65534: EACCES hint names the group; read level gets forbidden", "[tradepushctl][nobody]")
{
    if(::geteuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0) {
        WARN("needs root and setpriv; skipped");
        return;
    }
    std::vector<std::string> const as_nobody{"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
        TRADEPUSHCTL_BIN};

    SECTION("mode 0660: permission denied")
    {
        fixture f;
        auto argv = as_nobody;
        argv.insert(argv.end(), {"--socket", f.opts.path, "status"});
        auto r = run(argv);
        CHECK(r.status == 3);
        CHECK(r.err.find("Permission denied (errno 13)") != std::string::npos);
        CHECK(r.err.find("join the group 'root'") != std::string::npos); // the socket file's group
    }
    SECTION("mode 0666: read level")
    {
        fixture f(0666);
        auto argv = as_nobody;
        argv.insert(argv.end(), {"--socket", f.opts.path});
        auto ok = argv;
        ok.push_back("status");
        CHECK(run(ok).status == 0);

        auto flush = argv;
        flush.insert(flush.end(), {"user", "flush", "alice"});
        auto r = run(flush);
        CHECK(r.status == 1);
        CHECK(r.err.find("(forbidden)") != std::string::npos);
        CHECK(r.err.find("your level is read") != std::string::npos);

        auto help = argv;
        help.push_back("help");
        auto h = run(help);
        CHECK(h.status == 0);
        CHECK(h.out.find("COMMAND") != std::string::npos);
        CHECK(h.out.find("user flush") == std::string::npos); // operate: not listed for read
        CHECK(h.out.find("sessions list") != std::string::npos);
    }
}
