#pragma once
// Where a client's JWT comes from: the CONNECT payload, else the handshake's Authorization header.

#include <boost/json/object.hpp>

#include <string_view>

namespace tradepush::gateway {

/// The bearer token of a connection: `auth.token` when present (a string), else the
/// `Authorization: Bearer <jwt>` handshake header (`authorization`, its value); empty when
/// neither carries one.
std::string_view find_token(boost::json::object const& auth, std::string_view authorization) noexcept;

} // namespace tradepush::gateway
