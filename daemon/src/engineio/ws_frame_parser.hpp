#pragma once
// Incremental RFC 6455 frame parser for the server side (client frames are masked).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tradepush::engineio {

/// What one call to ws_frame_parser::next() found.
enum class ws_event {
    need_more,  ///< feed more bytes
    text,       ///< a complete text message is in message()
    binary,     ///< a complete binary message is in message()
    ping,       ///< a ping; payload in control_payload(), answer with a pong
    pong,       ///< a pong; ignore
    close,      ///< the peer's close frame; close_code() tells why
    error,      ///< protocol violation; error_code() is the close code to send (1002, 1009, ...)
};

/// Parses client frames out of a byte buffer, reassembling fragmented messages and unmasking.
/// Caps a message at `max_message` bytes (1009 when exceeded), so what it buffers is bounded by
/// max_message plus one control frame (125 bytes). Text messages and close reasons must be valid
/// UTF-8 (1007); malformed close frames and reserved close codes are protocol errors (1002).
class ws_frame_parser {
public:
    explicit ws_frame_parser(std::size_t max_message) : max_message_(max_message) {}

    /// Consumes bytes from `data` (advancing it) until one event is complete or the data runs out.
    ws_event next(std::string_view& data);
    /// The payload of the last text/binary event; valid until the next call.
    std::string& message() noexcept { return message_; }
    /// The payload of the last ping; valid until the next call.
    std::string const& control_payload() const noexcept { return control_; }
    /// Close code for ws_event::error, or the peer's code for ws_event::close (1005 if none).
    std::uint16_t close_code() const noexcept { return close_code_; }
    /// Frees the payload buffers unless a fragmented message is being reassembled; message() and
    /// control_payload() are then empty. For idle connections: most clients send a few messages
    /// and then only read, and a kept buffer would stay as large as their biggest message.
    void release() noexcept;

private:
    enum class stage { header, ext_len, mask, payload };

    ws_event finish_frame();
    ws_event finish_close();
    static bool valid_close_code(std::uint16_t code) noexcept;
    static bool valid_utf8(std::string_view text) noexcept;

    std::size_t max_message_;
    stage stage_ = stage::header;
    std::uint8_t header_[2]{};
    std::size_t header_got_ = 0;
    std::uint8_t ext_[8]{};
    std::size_t ext_need_ = 0;
    std::size_t ext_got_ = 0;
    std::uint8_t mask_[4]{};
    std::size_t mask_got_ = 0;
    std::uint64_t payload_len_ = 0;
    std::uint64_t payload_got_ = 0;
    std::uint8_t opcode_ = 0;
    bool fin_ = false;
    // Data opcode of the message being reassembled (0 when none).
    std::uint8_t message_opcode_ = 0;
    std::string message_;
    std::string control_;
    std::uint16_t close_code_ = 1005;
};

} // namespace tradepush::engineio
