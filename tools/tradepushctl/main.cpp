// tradepushctl: one admin request to tradepushd over its UNIX socket, the answer as a table or
// JSON, and an exit code scripts (and systemd's ExecReload=) can rely on.
#include "client.hpp"
#include "command_line.hpp"
#include "render.hpp"

#include "admin/protocol.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

namespace json = boost::json;
namespace admin = tradepush::admin;

// Documented in --help and docs/admin.md; scripts depend on them.
constexpr int exit_ok = 0;
constexpr int exit_failed = 1;
constexpr int exit_usage = 2;
constexpr int exit_connect = 3;
constexpr int exit_timeout = 4;

// The socket file's group, to name in the hint ("join group X"); the packaged default otherwise.
std::string
socket_group(std::string const& path)
{
    struct stat st{};
    if(::stat(path.c_str(), &st) == 0)
        if(group const* g = ::getgrgid(st.st_gid))
            return g->gr_name;
    return "tradepushd-admin";
}

int
cannot_connect(std::string const& path, tradepushctl::client_failure const& f)
{
    std::cerr << "tradepushctl: cannot connect to " << path << ": " << f.message;
    if(f.error)
        std::cerr << " (errno " << f.error << ")";
    std::cerr << "\n";
    if(f.error == EACCES || f.error == EPERM)
        std::cerr << "hint: join the group '" << socket_group(path)
                  << "' (sudo adduser $USER " << socket_group(path) << "), log in again, or use sudo\n";
    else if(f.error == ENOENT || f.error == ECONNREFUSED)
        std::cerr << "hint: is tradepushd running? systemctl status tradepushd (or pass --socket PATH)\n";
    return exit_connect;
}

int
timed_out(std::string const& what, std::chrono::milliseconds t)
{
    std::cerr << "tradepushctl: " << what << " within " << t.count() << " ms (raise --timeout?)\n";
    return exit_timeout;
}

} // namespace

int
main(int argc, char** argv)
{
    std::vector<std::string_view> args(argv + 1, argv + argc);
    char const* env_socket = std::getenv("TRADEPUSH_ADMIN_SOCKET");
    auto parsed = tradepushctl::parse_command_line(args,
        env_socket && *env_socket ? std::string(env_socket) : std::string(tradepushctl::default_socket));
    if(!parsed) {
        std::cerr << "tradepushctl: " << parsed.error() << "\n";
        return exit_usage;
    }
    auto& inv = *parsed;
    if(inv.what == tradepushctl::invocation::action::usage) {
        std::cout << tradepushctl::usage_text();
        return exit_ok;
    }
    if(inv.what == tradepushctl::invocation::action::version) {
        std::cout << "tradepushctl " << TRADEPUSH_VERSION << "\n";
        return exit_ok;
    }

    tradepushctl::client c(std::chrono::steady_clock::now() + inv.timeout);
    if(auto f = c.connect(inv.socket)) {
        if(f->what == tradepushctl::client_failure::kind::timeout)
            return timed_out("could not connect to " + inv.socket, inv.timeout);
        return cannot_connect(inv.socket, *f);
    }

    // The hello tells our level; a `busy` error line instead means the daemon is at its limit.
    std::string line;
    if(auto f = c.read_line(line)) {
        if(f->what == tradepushctl::client_failure::kind::timeout)
            return timed_out("no greeting from " + inv.socket, inv.timeout);
        std::cerr << "tradepushctl: " << inv.socket << ": " << f->message << "\n";
        return exit_connect;
    }
    boost::system::error_code ec;
    auto hello = json::parse(line, ec);
    if(ec || !hello.is_object() || !hello.get_object().contains("hello")) {
        std::string why = "not a tradepushd admin socket";
        if(!ec && hello.is_object())
            if(auto const* err = hello.get_object().if_contains("error"); err && err->is_object())
                if(auto const* m = err->get_object().if_contains("message"); m && m->is_string())
                    why = std::string(m->get_string());
        std::cerr << "tradepushctl: " << inv.socket << ": " << why << "\n";
        return exit_connect;
    }
    std::string const my_level = hello.get_object().contains("level") && hello.at("level").is_string()
        ? std::string(hello.at("level").get_string())
        : "?";

    inv.request["id"] = 1;
    std::string const cmd = inv.request.contains("cmd") && inv.request.at("cmd").is_string()
        ? std::string(inv.request.at("cmd").get_string())
        : "?";
    if(auto f = c.write_line(json::serialize(inv.request) + "\n")) {
        if(f->what == tradepushctl::client_failure::kind::timeout)
            return timed_out("could not send the request", inv.timeout);
        std::cerr << "tradepushctl: " << f->message << "\n";
        return exit_failed;
    }

    // Skip anything that is not our response (future unsolicited lines).
    json::value response;
    for(;;) {
        if(auto f = c.read_line(line)) {
            if(f->what == tradepushctl::client_failure::kind::timeout)
                return timed_out("no reply to '" + cmd + "'", inv.timeout);
            std::cerr << "tradepushctl: " << cmd << ": " << f->message << " before replying\n";
            return exit_failed;
        }
        response = json::parse(line, ec);
        if(ec || !response.is_object())
            continue;
        auto const* id = response.get_object().if_contains("id");
        if(id && *id == json::value(1))
            break;
        // A null-id error is the server talking about the connection (line too long, idle).
        if(id && id->is_null() && response.get_object().contains("error"))
            break;
    }

    auto const& r = response.get_object();
    bool const ok = r.contains("ok") && r.at("ok").is_bool() && r.at("ok").get_bool();
    std::string code, message;
    if(!ok) {
        if(auto const* err = r.if_contains("error"); err && err->is_object()) {
            auto const& e = err->get_object();
            if(auto const* v = e.if_contains("code"); v && v->is_string())
                code = v->get_string();
            if(auto const* v = e.if_contains("message"); v && v->is_string())
                message = v->get_string();
        }
    }

    if(inv.json) {
        std::cout << line << "\n";
    } else if(ok) {
        auto const* result = r.if_contains("result");
        std::cout << tradepushctl::render(result ? *result : json::value(nullptr), ::isatty(STDOUT_FILENO) == 1);
    } else {
        std::cerr << "tradepushctl: " << cmd << ": " << (message.empty() ? "failed" : message) << " ("
                  << (code.empty() ? "error" : code) << ")\n";
        if(code == admin::errc::forbidden)
            std::cerr << "hint: your level is " << my_level << "; join the group '" << socket_group(inv.socket)
                      << "' or use sudo\n";
    }
    if(ok)
        return exit_ok;
    return code == admin::errc::timeout ? exit_timeout : exit_failed;
}
