#pragma once
// Wire text the hub emits: compact JSON and the Socket.IO EVENT packet around it. The hub builds its
// packets itself (it must not depend on the socketio module) and builds each one exactly once.

#include "common/outbound.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace tradepush::hub {

/// Appends `v` as compact JSON. Doubles use the shortest round-trip form ("65012.35", not "6.501235E4");
/// NaN and infinities, which JSON cannot carry, become null.
void append_json(std::string& out, boost::json::value const& v);

/// Appends `s` as a quoted, escaped JSON string.
void append_json_string(std::string& out, std::string_view s);

/// `v` as compact JSON (see append_json).
std::string to_json(boost::json::value const& v);

/// The Engine.IO message carrying the Socket.IO event `42["<event>",<body_json>]`.
outbound_ptr make_event(std::string_view event, std::string_view body_json);

/// Milliseconds since the Unix epoch (the envelope's "ts").
std::int64_t now_ms() noexcept;

} // namespace tradepush::hub
