#include "engineio/ws_frame_parser.hpp"

#include <boost/beast/websocket/detail/utf8_checker.hpp>

#include <algorithm>

namespace tradepush::engineio {

ws_event
ws_frame_parser::next(std::string_view& data)
{
    while(!data.empty()) {
        switch(stage_) {
        case stage::header: {
            header_[header_got_++] = static_cast<std::uint8_t>(data.front());
            data.remove_prefix(1);
            if(header_got_ < 2)
                break;
            header_got_ = 0;
            fin_ = (header_[0] & 0x80) != 0;
            opcode_ = header_[0] & 0x0F;
            // No extension is negotiated, so RSV bits must be zero (RFC 6455 §5.2).
            if((header_[0] & 0x70) != 0) {
                close_code_ = 1002;
                return ws_event::error;
            }
            // Client-to-server frames must be masked (§5.1).
            if((header_[1] & 0x80) == 0) {
                close_code_ = 1002;
                return ws_event::error;
            }
            bool const control = (opcode_ & 0x8) != 0;
            if(control) {
                if(!fin_ || (header_[1] & 0x7F) > 125 || (opcode_ != 0x8 && opcode_ != 0x9 && opcode_ != 0xA)) {
                    close_code_ = 1002;
                    return ws_event::error;
                }
            } else if(opcode_ == 0x0) {
                if(message_opcode_ == 0) {
                    close_code_ = 1002;
                    return ws_event::error;
                }
            } else if(opcode_ == 0x1 || opcode_ == 0x2) {
                if(message_opcode_ != 0) {
                    close_code_ = 1002;
                    return ws_event::error;
                }
                message_opcode_ = opcode_;
                message_.clear();
            } else {
                close_code_ = 1002;
                return ws_event::error;
            }
            auto const len7 = header_[1] & 0x7F;
            if(len7 == 126) {
                ext_need_ = 2;
            } else if(len7 == 127) {
                ext_need_ = 8;
            } else {
                ext_need_ = 0;
                payload_len_ = len7;
            }
            ext_got_ = 0;
            mask_got_ = 0;
            stage_ = ext_need_ ? stage::ext_len : stage::mask;
            break;
        }
        case stage::ext_len: {
            ext_[ext_got_++] = static_cast<std::uint8_t>(data.front());
            data.remove_prefix(1);
            if(ext_got_ < ext_need_)
                break;
            payload_len_ = 0;
            for(std::size_t i = 0; i < ext_need_; ++i)
                payload_len_ = (payload_len_ << 8) | ext_[i];
            // A 64-bit length must have its most significant bit clear (RFC 6455 §5.2).
            if(ext_need_ == 8 && (ext_[0] & 0x80) != 0) {
                close_code_ = 1002;
                return ws_event::error;
            }
            stage_ = stage::mask;
            break;
        }
        case stage::mask: {
            mask_[mask_got_++] = static_cast<std::uint8_t>(data.front());
            data.remove_prefix(1);
            if(mask_got_ < 4)
                break;
            bool const control = (opcode_ & 0x8) != 0;
            // message_ never exceeds max_message_ (checked frame by frame), so this subtraction
            // cannot wrap; the sum it replaces could, for a 64-bit length from the wire.
            if(!control && payload_len_ > max_message_ - message_.size()) {
                close_code_ = 1009;
                return ws_event::error;
            }
            payload_got_ = 0;
            if(control)
                control_.clear();
            stage_ = stage::payload;
            if(payload_len_ == 0) {
                stage_ = stage::header;
                return finish_frame();
            }
            break;
        }
        case stage::payload: {
            bool const control = (opcode_ & 0x8) != 0;
            auto& target = control ? control_ : message_;
            auto const take = static_cast<std::size_t>(
                std::min<std::uint64_t>(payload_len_ - payload_got_, data.size()));
            auto const base = target.size();
            target.append(data.data(), take);
            for(std::size_t i = 0; i < take; ++i)
                target[base + i] = static_cast<char>(
                    static_cast<std::uint8_t>(target[base + i]) ^ mask_[(payload_got_ + i) & 3]);
            payload_got_ += take;
            data.remove_prefix(take);
            if(payload_got_ == payload_len_) {
                stage_ = stage::header;
                if(auto ev = finish_frame(); ev != ws_event::need_more)
                    return ev;
            }
            break;
        }
        }
    }
    return ws_event::need_more;
}

void
ws_frame_parser::release() noexcept
{
    if(message_opcode_ == 0 && stage_ == stage::header) {
        std::string().swap(message_);
        std::string().swap(control_);
    }
}

ws_event
ws_frame_parser::finish_frame()
{
    switch(opcode_) {
    case 0x8:
        return finish_close();
    case 0x9:
        // Control frames may interleave a fragmented message, so their payload stays apart.
        return ws_event::ping;
    case 0xA:
        return ws_event::pong;
    default:
        break;
    }
    if(!fin_)
        return ws_event::need_more;
    auto const op = message_opcode_;
    message_opcode_ = 0;
    if(op == 0x1 && !valid_utf8(message_)) {
        close_code_ = 1007;
        return ws_event::error;
    }
    return op == 0x1 ? ws_event::text : ws_event::binary;
}

ws_event
ws_frame_parser::finish_close()
{
    // A close payload is empty, or a 2-byte code and an optional UTF-8 reason (RFC 6455 §5.5.1).
    close_code_ = 1005;
    if(control_.empty())
        return ws_event::close;
    if(control_.size() == 1) {
        close_code_ = 1002;
        return ws_event::error;
    }
    auto const code = static_cast<std::uint16_t>(
        (static_cast<std::uint8_t>(control_[0]) << 8) | static_cast<std::uint8_t>(control_[1]));
    if(!valid_close_code(code)) {
        close_code_ = 1002;
        return ws_event::error;
    }
    if(!valid_utf8(std::string_view(control_).substr(2))) {
        close_code_ = 1007;
        return ws_event::error;
    }
    close_code_ = code;
    return ws_event::close;
}

bool
ws_frame_parser::valid_close_code(std::uint16_t code) noexcept
{
    // Codes a peer may send (RFC 6455 §7.4.1 and the IANA registry): 1004 is reserved, 1005, 1006
    // and 1015 are for reporting locally only, 1016-2999 are unassigned; 3000-4999 are for
    // libraries and applications.
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

bool
ws_frame_parser::valid_utf8(std::string_view text) noexcept
{
    // Checked once the whole message is in: the message is bounded by max_message_, and a checker
    // kept across fragments would cost every idle session its state.
    boost::beast::websocket::detail::utf8_checker checker;
    return checker.write(reinterpret_cast<std::uint8_t const*>(text.data()), text.size()) && checker.finish();
}

} // namespace tradepush::engineio
