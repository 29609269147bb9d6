#pragma once
// The Socket.IO v5 packet and its text codec (socket.io-parser 4.2.7 wire format, spec §2.2):
//   <type>[<#attachments>-][<nsp>,][<ack id>][JSON payload]
// Binary attachments travel as separate Engine.IO binary messages; decoder.hpp reassembles them.

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::socketio {

namespace json = boost::json;

/// Socket.IO packet types, numbered as on the wire.
enum class packet_type : std::uint8_t {
    connect = 0,
    disconnect = 1,
    event = 2,
    ack = 3,
    connect_error = 4,
    binary_event = 5,
    binary_ack = 6,
};

/// True for BINARY_EVENT and BINARY_ACK, the types that carry an attachment count.
constexpr bool
is_binary(packet_type t) noexcept
{
    return t == packet_type::binary_event || t == packet_type::binary_ack;
}

/// One Socket.IO packet (without the Engine.IO `4` prefix).
struct packet {
    packet_type type = packet_type::event;
    /// Namespace; "/" is omitted on the wire.
    std::string nsp = "/";
    /// Ack id, when the sender wants an acknowledgement (EVENT) or answers one (ACK).
    std::optional<std::uint64_t> id;
    /// JSON payload; null means absent (no payload is ever a JSON `null`: the decoder refuses it).
    json::value data;
    /// Binary attachments in placeholder order. For binary types the wire count is attachments.size();
    /// decode_packet() sizes it from the header and leaves the entries empty for the decoder to fill.
    std::vector<std::string> attachments;
};

/// Event names only the library may emit; an EVENT using one is a decode error.
bool is_reserved_event(std::string_view name) noexcept;

/// Decodes one text packet strictly; any deviation from the reference parser's rules is an error.
/// `max_attachments` bounds the attachment count of binary packets.
boost::system::result<packet> decode_packet(std::string_view text, std::size_t max_attachments);

/// Appends the wire form of `p` to `out` (compact JSON, key order preserved).
void encode_packet(packet const& p, std::string& out);

/// Returns the wire form of `p` (without the Engine.IO `4`).
std::string encode_packet(packet const& p);

/// Appends the compact JSON text of `v` to `out` without an intermediate string.
void append_json(std::string& out, json::value const& v);

} // namespace tradepush::socketio
