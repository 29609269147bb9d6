#include "loadgen/worker.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cmath>

namespace tradepush::bench {

worker::worker(shared_state& shared, int id, net::ip::tcp::endpoint ep)
    : shared_(shared)
    , id_(id)
    , endpoint_(ep)
    , pump_timer_(ioc_)
    , sweep_timer_(ioc_)
    // Fixed seeds: the storm's jitter is the same from run to run.
    , rng_(0x7470'6265'6e63'6800ULL + static_cast<std::uint64_t>(id))
{
    auto const threads = shared_.opt.threads;
    max_pending_ = std::max(1, shared_.opt.max_pending / threads);
    rate_ = shared_.opt.connect_rate / threads;
}

worker::~worker()
{
    stop();
    // Clients go before the io_context (their timers and sockets belong to it).
    clients_.clear();
}

void
worker::add_client(int index, bool slow)
{
    clients_.push_back(std::make_unique<client>(*this, index, slow));
}

void
worker::start()
{
    work_ = std::make_unique<net::executor_work_guard<net::io_context::executor_type>>(ioc_.get_executor());
    net::post(ioc_, [this] {
        pump();
        sweep();
    });
    thread_ = std::thread([this] { ioc_.run(); });
}

void
worker::stop()
{
    if(!thread_.joinable())
        return;
    ioc_.stop();
    thread_.join();
}

void
worker::handshake_done()
{
    --pending_;
    pump();
}

void
worker::pump()
{
    auto const elapsed = std::chrono::duration<double>(steady_clock::now() - shared_.t0).count();
    while(next_ < clients_.size() && pending_ < max_pending_)
    {
        // Paced: the k-th connection of this worker starts at k / rate seconds.
        if(rate_ > 0 && static_cast<double>(next_) >= std::floor(elapsed * rate_) + 1)
        {
            arm_pump_timer();
            return;
        }
        ++pending_;
        clients_[next_++]->connect(phase::initial);
    }
}

void
worker::arm_pump_timer()
{
    if(pump_armed_)
        return;
    pump_armed_ = true;
    pump_timer_.expires_after(std::chrono::milliseconds(1));
    pump_timer_.async_wait([this](boost::system::error_code ec) {
        pump_armed_ = false;
        if(!ec)
            pump();
    });
}

void
worker::sweep()
{
    // One timer per worker instead of one per connection: handshake deadlines need no precision.
    auto const now = steady_clock::now();
    for(auto& c : clients_)
        c->check_deadline(now);
    sweep_timer_.expires_after(std::chrono::milliseconds(250));
    sweep_timer_.async_wait([this](boost::system::error_code ec) {
        if(!ec)
            sweep();
    });
}

void
worker::start_storm()
{
    net::post(ioc_, [this] {
        // Every connection closes in this one handler, before any reconnects.
        for(auto& c : clients_)
            c->storm(jitter());
    });
}

std::chrono::milliseconds
worker::jitter()
{
    std::uniform_int_distribution<int> d(0, shared_.opt.jitter_ms);
    return std::chrono::milliseconds(d(rng_));
}

} // namespace tradepush::bench
