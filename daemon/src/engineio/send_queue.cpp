#include "engineio/send_queue.hpp"

#include <cstddef>

namespace tradepush::engineio {

namespace {

// A queue that grew past this many slots gives its storage back once drained, so a burst (or a
// slow consumer that recovered) does not pin memory on an idle connection.
constexpr std::size_t kept_capacity = 8;

} // namespace

std::size_t
send_queue::find(std::uint64_t key) const
{
    if(index_) {
        auto it = index_->find(key);
        return it == index_->end() ? npos : it->second;
    }
    for(auto i = head_; i < items_.size(); ++i)
        if(items_[i].key == key)
            return i;
    return npos;
}

void
send_queue::build_index()
{
    index_ = std::make_unique<std::unordered_map<std::uint64_t, std::size_t>>();
    for(auto i = head_; i < items_.size(); ++i)
        if(items_[i].key != 0)
            index_->emplace(items_[i].key, i);
}

bool
send_queue::push(outbound_ptr msg, std::uint64_t key)
{
    if(key != 0) {
        if(auto const pos = find(key); pos != npos) {
            auto& slot = items_[pos];
            bytes_ -= slot.msg->ws_frame().size();
            bytes_ += msg->ws_frame().size();
            slot.msg = std::move(msg);
            return true;
        }
    }
    bytes_ += msg->ws_frame().size();
    items_.push_back(item{std::move(msg), key});
    if(index_) {
        if(key != 0)
            index_->emplace(key, items_.size() - 1);
    } else if(size() > scan_limit) {
        build_index();
    }
    return false;
}

void
send_queue::pop_batch(std::vector<outbound_ptr>& out, std::size_t max_items, std::size_t max_bytes)
{
    std::size_t taken = 0;
    std::size_t taken_bytes = 0;
    while(!empty() && taken < max_items && (taken == 0 || taken_bytes < max_bytes)) {
        auto& front = items_[head_];
        if(index_ && front.key != 0)
            index_->erase(front.key);
        auto const n = front.msg->ws_frame().size();
        bytes_ -= n;
        taken_bytes += n;
        out.push_back(std::move(front.msg));
        ++head_;
        ++taken;
    }
    if(index_ && size() <= scan_limit / 2)
        index_.reset();
    release_if_empty();
    // A queue that never quite drains (a consumer steadily behind) would otherwise keep every sent
    // slot: drop them once they are the larger part, which keeps pops amortised O(1).
    if(head_ >= 32 && head_ * 2 >= items_.size()) {
        items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
        if(index_)
            build_index();
    }
}

void
send_queue::release_if_empty()
{
    if(!empty())
        return;
    head_ = 0;
    if(items_.capacity() > kept_capacity)
        std::vector<item>().swap(items_);
    else
        items_.clear();
}

void
send_queue::clear()
{
    std::vector<item>().swap(items_);
    head_ = 0;
    index_.reset();
    bytes_ = 0;
}

} // namespace tradepush::engineio
