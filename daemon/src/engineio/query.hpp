#pragma once
// The Engine.IO query of a request target (`/socket.io/?EIO=4&transport=polling&sid=...`).

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace tradepush::engineio {

/// The parameters the server reads; the rest of the query is ignored.
struct engineio_query {
    std::string transport;
    std::string sid;
    std::string eio;
};

/// Parses an origin-form request target; nullopt when it is not one (a 400 for the client).
/// Each value is percent-decoded; the last occurrence of a key wins.
std::optional<engineio_query> parse_engineio_query(std::string_view target);

} // namespace tradepush::engineio
