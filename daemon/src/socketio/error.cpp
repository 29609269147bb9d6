#include "socketio/error.hpp"

#include <string>

namespace tradepush::socketio {

namespace {

class decode_category_impl final : public boost::system::error_category {
public:
    char const* name() const noexcept override { return "tradepush.socketio"; }

    std::string message(int ev) const override
    {
        // Messages follow socket.io-parser's wording where it has one, so logs read like the reference's.
        switch(static_cast<decode_error>(ev)) {
        case decode_error::unknown_type: return "unknown packet type";
        case decode_error::illegal_attachments: return "Illegal attachments";
        case decode_error::too_many_attachments: return "too many attachments";
        case decode_error::bad_ack_id: return "ack id out of range";
        case decode_error::bad_json: return "invalid JSON payload";
        case decode_error::invalid_payload: return "invalid payload";
        case decode_error::reserved_event: return "reserved event name";
        case decode_error::unexpected_text: return "got plaintext data when reconstructing a packet";
        case decode_error::unexpected_binary: return "got binary data when not reconstructing a packet";
        case decode_error::bad_placeholder: return "illegal attachments";
        }
        return "unknown socket.io decode error";
    }
};

} // namespace

boost::system::error_category const&
decode_category() noexcept
{
    static decode_category_impl const cat;
    return cat;
}

} // namespace tradepush::socketio
