#include "engineio/send_queue.hpp"

namespace tradepush::engineio {

bool
send_queue::push(outbound_ptr msg, std::uint64_t key)
{
    if(key != 0) {
        auto it = by_key_.find(key);
        if(it != by_key_.end()) {
            auto& slot = items_[static_cast<std::size_t>(it->second - base_)];
            bytes_ -= slot.msg->ws_frame().size();
            bytes_ += msg->ws_frame().size();
            slot.msg = std::move(msg);
            return true;
        }
        by_key_.emplace(key, base_ + items_.size());
    }
    bytes_ += msg->ws_frame().size();
    items_.push_back(item{std::move(msg), key});
    return false;
}

void
send_queue::pop_batch(std::vector<outbound_ptr>& out, std::size_t max_items, std::size_t max_bytes)
{
    std::size_t taken = 0;
    std::size_t taken_bytes = 0;
    while(!items_.empty() && taken < max_items && (taken == 0 || taken_bytes < max_bytes)) {
        auto& front = items_.front();
        if(front.key != 0)
            by_key_.erase(front.key);
        auto const n = front.msg->ws_frame().size();
        bytes_ -= n;
        taken_bytes += n;
        out.push_back(std::move(front.msg));
        items_.pop_front();
        ++base_;
        ++taken;
    }
}

void
send_queue::clear()
{
    items_.clear();
    by_key_.clear();
    bytes_ = 0;
}

} // namespace tradepush::engineio
