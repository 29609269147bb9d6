#include "command_line.hpp"

#include <boost/json/parse.hpp>

#include <array>
#include <charconv>
#include <optional>

namespace tradepushctl {

namespace json = boost::json;

namespace {

constexpr std::string_view usage = R"(usage: tradepushctl [--socket PATH] [--json] [--timeout DURATION] COMMAND [ARGS...]

Talks to tradepushd's admin socket (docs/admin.md).

commands:
  status                          daemon state, version, uptime, listeners, clients
  stats                           counters (hub, engine, plugins, memory)
  sessions list [--user U]        live client sessions, optionally of one user
  user flush U [--exchange X]     drop U's cached state, reset the plugin session, push fresh snapshots
  user kick U                     disconnect every session of U
  plugins list                    loaded exchange plugins and their state
  plugins reload NAME | --all     hot-reload a plugin (blue/green)
  config check                    validate the configuration file without applying it
  config show                     the running configuration, secrets redacted
  config reload                   validate and apply the configuration (same as SIGHUP)
  credentials reload              re-read the credentials file
  log level [LEVEL] [--logger N]  show or set the log level (trace debug info warn error critical off)
  drain [--grace SECONDS]         close client connections gracefully, spread over the grace time
  help                            the commands your level allows, as the daemon knows them
  ping                            check that the daemon answers
  raw JSON                        send one request object as is, e.g. raw '{"cmd":"status"}'
  Any other words are sent as the command name, --NAME VALUE as string arguments.

options:
  -s, --socket PATH     admin socket (default $TRADEPUSH_ADMIN_SOCKET or /run/tradepushd/admin.sock)
  -j, --json            print the daemon's response line as is (for scripts and jq)
  -t, --timeout D       give up after D (default 10s; 60s for reloads and drain;
                        500ms, 2m, plain seconds)
  -h, --help            this text
  -V, --version         the tradepushctl version

output: tables and `key: value` lines by default, whether or not stdout is a terminal (so
grep/awk see what you see); --json for machines.

exit codes: 0 ok, 1 the command failed, 2 usage error, 3 cannot connect (or daemon busy),
4 timeout (no reply within --timeout, or the daemon's own command deadline).
)";

// How one option of a known command maps into args.
struct option_spec {
    std::string_view flag; // "--exchange"
    std::string_view key;  // "exchange"
    enum class kind { string, number, flag } type = kind::string;
};

// A known command: its words, positional parameters (a trailing '?' = optional) and options.
struct command_spec {
    std::string_view words;
    std::vector<std::string_view> positionals;
    std::vector<option_spec> options;
    // Reloads and drain legitimately take long: wait this long unless --timeout says otherwise.
    std::chrono::milliseconds timeout{10000};
};

using kind = option_spec::kind;

constexpr std::chrono::milliseconds long_wait{60000};

std::vector<command_spec> const&
known_commands()
{
    static std::vector<command_spec> const specs{
        {"status", {}, {}},
        {"stats", {}, {}},
        {"sessions list", {}, {{"--user", "user"}, {"--limit", "limit", kind::number}}},
        {"user flush", {"user"}, {{"--exchange", "exchange"}}},
        {"user kick", {"user"}, {}},
        {"plugins list", {}, {}},
        {"plugins reload", {"name?"}, {{"--all", "all", kind::flag}}, long_wait},
        {"config check", {}, {}},
        {"config show", {}, {}},
        {"config reload", {}, {}, long_wait},
        {"credentials reload", {}, {}, long_wait},
        {"log level", {"level?"}, {{"--logger", "logger"}}},
        {"drain", {}, {{"--grace", "grace_s", kind::number}}, long_wait},
        {"help", {}, {}},
        {"ping", {}, {}},
    };
    return specs;
}

// Number of leading `words` that spell out `spec_words` ("user flush" → 2), or 0.
std::size_t
match(command_spec const& spec, std::vector<std::string> const& words)
{
    std::size_t i = 0, n = 0;
    std::string_view w = spec.words;
    while(!w.empty()) {
        auto const sp = w.find(' ');
        auto const head = w.substr(0, sp);
        if(i >= words.size() || words[i] != head)
            return 0;
        ++i;
        ++n;
        w = sp == std::string_view::npos ? std::string_view{} : w.substr(sp + 1);
    }
    return n;
}

std::optional<double>
to_number(std::string_view s)
{
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if(ec != std::errc{} || p != s.data() + s.size())
        return std::nullopt;
    return v;
}

json::value
number_value(double v)
{
    // Whole numbers go out as integers: the daemon's handlers read `limit` with as_int64().
    if(v == static_cast<double>(static_cast<std::int64_t>(v)))
        return static_cast<std::int64_t>(v);
    return v;
}

} // namespace

std::string_view
usage_text() noexcept
{
    return usage;
}

boost::system::result<std::chrono::milliseconds, std::string>
parse_duration(std::string_view s)
{
    double scale = 1000;
    if(s.ends_with("ms")) {
        scale = 1;
        s.remove_suffix(2);
    } else if(s.ends_with("s")) {
        s.remove_suffix(1);
    } else if(s.ends_with("m")) {
        scale = 60000;
        s.remove_suffix(1);
    }
    auto v = to_number(s);
    if(!v || *v <= 0)
        return std::string("bad duration '") + std::string(s) + "' (e.g. 10, 10s, 500ms, 2m)";
    return std::chrono::milliseconds(static_cast<std::int64_t>(*v * scale + 0.5));
}

boost::system::result<invocation, std::string>
parse_command_line(std::vector<std::string_view> const& args, std::string socket_default)
{
    invocation inv;
    inv.socket = std::move(socket_default);

    // Pass 1: global options anywhere; everything else, in order, belongs to the command.
    std::vector<std::string> rest;
    bool options_done = false;
    bool timeout_given = false;
    for(std::size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        // The option's value: after '=' or the next argument; nullopt when missing.
        auto value = [&]() -> std::optional<std::string_view> {
            if(auto eq = a.find('='); eq != std::string_view::npos)
                return a.substr(eq + 1);
            if(i + 1 >= args.size())
                return std::nullopt;
            return args[++i];
        };
        if(options_done || a.size() < 2 || a[0] != '-') {
            rest.emplace_back(a);
            continue;
        }
        if(a == "--") {
            options_done = true;
        } else if(a == "-h" || a == "--help") {
            inv.what = invocation::action::usage;
            return inv;
        } else if(a == "-V" || a == "--version") {
            inv.what = invocation::action::version;
            return inv;
        } else if(a == "-j" || a == "--json") {
            inv.json = true;
        } else if(a == "-s" || a == "--socket" || a.starts_with("--socket=")) {
            auto v = value();
            if(!v)
                return std::string("--socket needs a value");
            inv.socket = std::string(*v);
        } else if(a == "-t" || a == "--timeout" || a.starts_with("--timeout=")) {
            auto v = value();
            if(!v)
                return std::string("--timeout needs a value");
            auto d = parse_duration(*v);
            if(!d)
                return "--timeout: " + d.error();
            inv.timeout = *d;
            timeout_given = true;
        } else {
            rest.emplace_back(a); // a command option, checked below
        }
    }

    // Command words: everything before the first option.
    std::vector<std::string> words;
    std::size_t first_option = 0;
    while(first_option < rest.size() && !(rest[first_option].size() > 1 && rest[first_option][0] == '-'))
        words.push_back(rest[first_option++]);
    if(words.empty())
        return std::string("no command given (try --help)");

    if(words[0] == "raw") {
        if(rest.size() != 2)
            return std::string("raw takes exactly one JSON object, e.g. raw '{\"cmd\":\"status\"}'");
        boost::system::error_code ec;
        auto v = json::parse(rest[1], ec);
        if(ec || !v.is_object() || !v.get_object().contains("cmd"))
            return std::string("raw: not a JSON object with a \"cmd\"");
        inv.request = std::move(v.get_object());
        return inv;
    }

    // The longest known command these words start with.
    command_spec const* spec = nullptr;
    std::size_t matched = 0;
    for(auto const& s : known_commands()) {
        auto const n = match(s, words);
        if(n > matched) {
            matched = n;
            spec = &s;
        }
    }

    json::object cmd_args;
    std::vector<std::string> positionals(words.begin() + static_cast<std::ptrdiff_t>(matched), words.end());
    std::string cmd;
    if(spec) {
        cmd = std::string(spec->words);
        if(!timeout_given)
            inv.timeout = spec->timeout;
    } else {
        // Unknown to this build: send the words as the name, so newer daemons' commands work.
        for(auto const& w : words)
            cmd += (cmd.empty() ? "" : " ") + w;
        positionals.clear();
    }

    // Options (and positionals after them).
    for(std::size_t i = first_option; i < rest.size(); ++i) {
        std::string_view a = rest[i];
        if(!(a.size() > 1 && a[0] == '-')) {
            if(!spec)
                return "unexpected argument '" + std::string(a) + "' after options";
            positionals.emplace_back(a);
            continue;
        }
        std::string_view flag = a;
        std::optional<std::string_view> inline_value;
        if(auto eq = a.find('='); eq != std::string_view::npos) {
            flag = a.substr(0, eq);
            inline_value = a.substr(eq + 1);
        }
        auto next_value = [&]() -> std::optional<std::string_view> {
            if(inline_value)
                return inline_value;
            if(i + 1 < rest.size())
                return std::string_view(rest[++i]);
            return std::nullopt;
        };
        if(!spec) {
            if(!flag.starts_with("--"))
                return "unknown option '" + std::string(a) + "'";
            auto v = next_value();
            std::string key(flag.substr(2));
            for(char& c : key)
                if(c == '-')
                    c = '_';
            cmd_args[key] = v ? json::value(*v) : json::value(true);
            continue;
        }
        option_spec const* o = nullptr;
        for(auto const& candidate : spec->options)
            if(candidate.flag == flag)
                o = &candidate;
        if(!o)
            return "'" + cmd + "' has no option '" + std::string(flag) + "' (try --help)";
        if(o->type == kind::flag) {
            if(inline_value)
                return std::string(flag) + " takes no value";
            cmd_args[o->key] = true;
            continue;
        }
        auto v = next_value();
        if(!v)
            return std::string(flag) + " needs a value";
        if(o->type == kind::number) {
            auto n = to_number(*v);
            if(!n)
                return std::string(flag) + ": '" + std::string(*v) + "' is not a number";
            cmd_args[o->key] = number_value(*n);
        } else {
            cmd_args[o->key] = *v;
        }
    }

    if(spec) {
        if(positionals.size() > spec->positionals.size())
            return "'" + cmd + "': unexpected argument '" + positionals[spec->positionals.size()] + "'";
        for(std::size_t p = 0; p < spec->positionals.size(); ++p) {
            std::string_view name = spec->positionals[p];
            bool const optional = name.ends_with('?');
            if(optional)
                name.remove_suffix(1);
            if(p < positionals.size())
                cmd_args[name] = positionals[p];
            else if(!optional)
                return "'" + cmd + "' needs <" + std::string(name) + ">";
        }
        if(cmd == "plugins reload" && !cmd_args.contains("name") && !cmd_args.contains("all"))
            return std::string("'plugins reload' needs <name> or --all");
    }

    inv.request["cmd"] = cmd;
    if(!cmd_args.empty())
        inv.request["args"] = std::move(cmd_args);
    return inv;
}

} // namespace tradepushctl
