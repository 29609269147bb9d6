#pragma once
// Serialize-once messages: one immutable buffer per Engine.IO packet, shared by every connection it goes to.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tradepush {

/// One Engine.IO packet ready for both transports. The WebSocket frame (RFC 6455, server side, unmasked)
/// is built once at construction so fan-out to N WebSocket connections writes the same bytes N times
/// without any per-connection work. Immutable after construction; safe to share across threads.
class outbound_message {
public:
    /// Builds a text message from an Engine.IO packet such as `42["ticker",{...}]`.
    static std::shared_ptr<const outbound_message> text(std::string_view eio_packet);
    /// Builds a binary message (an Engine.IO binary message: raw bytes, no type byte).
    static std::shared_ptr<const outbound_message> binary(std::string_view bytes);

    /// True for a binary message.
    bool is_binary() const noexcept { return binary_; }
    /// The complete WebSocket frame (header + payload).
    std::string_view ws_frame() const noexcept { return frame_; }
    /// The Engine.IO packet (text) or the raw bytes (binary), without WebSocket framing.
    std::string_view payload() const noexcept
    {
        return std::string_view(frame_).substr(header_size_);
    }

    outbound_message(bool binary, std::string_view payload); // use text()/binary()

private:
    bool binary_;
    std::size_t header_size_;
    std::string frame_;
};

/// Shared handle on an immutable outbound message.
using outbound_ptr = std::shared_ptr<const outbound_message>;

} // namespace tradepush
