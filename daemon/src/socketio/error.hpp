#pragma once
// Why a Socket.IO packet was refused. Any of these closes the whole Engine.IO session ("parse error").

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace tradepush::socketio {

/// Decode errors of the Socket.IO v5 parser (socket.io-parser 4.2.7 `decodeString` / `isPayloadValid`).
enum class decode_error {
    /// Empty message or a type char outside 0-6 (`4abc`).
    unknown_type = 1,
    /// BINARY_EVENT/BINARY_ACK without `<digits>-`, or a count of 0.
    illegal_attachments,
    /// More attachments announced than options::max_attachments.
    too_many_attachments,
    /// The ack id does not fit in 64 bits.
    bad_ack_id,
    /// The payload is not valid JSON.
    bad_json,
    /// Valid JSON of the wrong shape for the packet type (`42{}`, `40[]`, `41{}` ...).
    invalid_payload,
    /// EVENT named `connect`, `disconnect`, ... which only the library may emit.
    reserved_event,
    /// A text message arrived while binary attachments were still expected.
    unexpected_text,
    /// A binary message arrived with no BINARY_EVENT/BINARY_ACK header waiting for it.
    unexpected_binary,
    /// A `{"_placeholder":true,"num":i}` whose index is not an attachment of the packet.
    bad_placeholder,
};

/// The category of decode_error ("tradepush.socketio").
boost::system::error_category const& decode_category() noexcept;

/// Makes decode_error usable as a boost::system::error_code.
inline boost::system::error_code
make_error_code(decode_error e) noexcept
{
    return {static_cast<int>(e), decode_category()};
}

} // namespace tradepush::socketio

template<>
struct boost::system::is_error_code_enum<tradepush::socketio::decode_error> : std::true_type {};
