#pragma once
// Per-session Socket.IO decoder: text packets plus the reassembly of binary attachments.

#include "socketio/packet.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

namespace tradepush::socketio {

/// Turns the Engine.IO messages of one session into complete Socket.IO packets. After a
/// BINARY_EVENT/BINARY_ACK header announcing N attachments, the next N messages must be binary;
/// text in between, or binary without a header, is an error (as in socket.io-parser).
class decoder {
public:
    /// `max_attachments` bounds the count a binary header may announce.
    explicit decoder(std::size_t max_attachments = 10) noexcept
        : max_attachments_(max_attachments)
    {
    }

    /// Feeds one Engine.IO message. Returns the packet once complete, std::nullopt while attachments
    /// are still awaited, or the decode error (after which the decoder is reset).
    boost::system::result<std::optional<packet>> feed(std::string_view data, bool binary);

    /// True while a binary packet waits for attachments.
    bool reconstructing() const noexcept { return pending_.has_value(); }

    /// Drops a partially received packet.
    void reset() noexcept
    {
        pending_.reset();
        received_ = 0;
    }

private:
    std::size_t max_attachments_;
    std::optional<packet> pending_;
    std::size_t received_ = 0;
};

} // namespace tradepush::socketio
