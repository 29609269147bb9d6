#pragma once
// tradepushctl's command line: global options, then command words mapped to an admin request.

#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace tradepushctl {

/// The default socket; $TRADEPUSH_ADMIN_SOCKET overrides it, --socket overrides both.
inline constexpr std::string_view default_socket = "/run/tradepushd/admin.sock";

/// What to do, parsed from argv.
struct invocation {
    enum class action { request, usage, version };
    action what = action::request;
    std::string socket;
    bool json = false;
    std::chrono::milliseconds timeout{10000};
    /// The request line without its id (cmd + args), or the user's raw object for `raw`.
    boost::json::object request;
};

/// The usage text printed by --help.
std::string_view usage_text() noexcept;

/// Parses argv (without argv[0]). The error is a sentence for stderr (exit code 2).
boost::system::result<invocation, std::string> parse_command_line(std::vector<std::string_view> const& args,
    std::string socket_default);

/// Parses "10", "10s", "1.5", "500ms", "2m" as a duration; error for anything else.
boost::system::result<std::chrono::milliseconds, std::string> parse_duration(std::string_view s);

} // namespace tradepushctl
