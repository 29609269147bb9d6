#pragma once
// The admin wire format: JSON Lines, one compact object per line, shared by the server and
// tradepushctl.
//
//   server, on connect: {"hello":"tradepushd","version":"0.1.0","proto":1,"level":"admin","uid":0,"pid":42}
//   request:            {"id":7,"cmd":"user flush","args":{"user":"alice"}}
//   response:           {"id":7,"ok":true,"result":{...}}
//                       {"id":7,"ok":false,"error":{"code":"not_found","message":"no user 'bob'"}}
//
// Compact serializers escape '\n' inside strings, so a newline always ends a message.

#include "admin/level.hpp"

#include <boost/assert/source_location.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace tradepush::admin {

/// Bumped only on a breaking change; fields are otherwise only ever added.
inline constexpr int protocol_version = 1;

/// The error codes on the wire (`error.code`).
namespace errc {
inline constexpr std::string_view bad_request = "bad_request";         ///< not JSON, not an object, no cmd, line too long
inline constexpr std::string_view unknown_command = "unknown_command"; ///< error.commands lists what exists
inline constexpr std::string_view forbidden = "forbidden";             ///< caller's level below the command's
inline constexpr std::string_view not_found = "not_found";             ///< the named user/plugin/... does not exist
inline constexpr std::string_view busy = "busy";                       ///< too many connections, or a reload runs
inline constexpr std::string_view timeout = "timeout";                 ///< no reply within the deadline / idle close
inline constexpr std::string_view internal = "internal";               ///< the handler threw or broke
inline constexpr std::string_view failed = "failed";                   ///< the command ran and did not succeed
} // namespace errc

/// One request line, parsed.
struct request {
    boost::json::value id;   ///< echoed in the response; null when the request had none
    std::string cmd;         ///< normalized, see normalize_command()
    boost::json::object args; ///< empty when absent
};

/// Why a line is not a valid request; `id` is kept when it could be read, to echo it.
struct request_error {
    boost::json::value id;
    std::string message;
};

/// Found by ADL from boost::system::result<T, request_error>::value(): throws std::runtime_error.
[[noreturn]] void throw_exception_from_error(request_error const& e, boost::source_location const& loc);

/// Command names are words separated by single spaces ("user flush"); "user.flush" and extra
/// blanks are accepted and folded to that form, so the dotted names of older docs keep working.
std::string normalize_command(std::string_view cmd);

/// Parses one line (without its '\n'): a JSON object with a string `cmd`, an optional `id` of any
/// type and an optional object `args`.
boost::system::result<request, request_error> parse_request(std::string_view line);

/// A success response line, '\n' included.
std::string ok_line(boost::json::value const& id, boost::json::value const& result);

/// An error response line, '\n' included. `extra` fields are merged into the error object.
std::string error_line(boost::json::value const& id, std::string_view code, std::string_view message,
    boost::json::object extra = {});

/// The hello line the server writes first on every connection, '\n' included.
std::string hello_line(std::string_view version, level caller_level, peer_credentials const& peer);

} // namespace tradepush::admin
