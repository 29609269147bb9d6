#include "socketio/decoder.hpp"

#include "socketio/error.hpp"

#include <utility>

namespace tradepush::socketio {

boost::system::result<std::optional<packet>>
decoder::feed(std::string_view data, bool binary)
{
    if(binary) {
        if(!pending_)
            return decode_error::unexpected_binary;
        pending_->attachments[received_++].assign(data);
        if(received_ < pending_->attachments.size())
            return std::optional<packet>{};
        std::optional<packet> done{std::move(*pending_)};
        reset();
        return done;
    }

    if(pending_) {
        reset();
        return decode_error::unexpected_text;
    }
    auto p = decode_packet(data, max_attachments_);
    if(!p)
        return p.error();
    // decode_packet guarantees at least one attachment for binary types.
    if(is_binary(p->type)) {
        pending_.emplace(std::move(*p));
        received_ = 0;
        return std::optional<packet>{};
    }
    return std::optional<packet>{std::move(*p)};
}

} // namespace tradepush::socketio
