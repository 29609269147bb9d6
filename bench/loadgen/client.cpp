#include "loadgen/client.hpp"

#include "loadgen/jwt.hpp"
#include "loadgen/session.hpp"
#include "loadgen/worker.hpp"

#include <ctime>

namespace tradepush::bench {

namespace {

constexpr int storm_attempts = 3;

} // namespace

client::client(worker& w, int index, bool slow)
    : worker_(w)
    , index_(index)
    , slow_(slow)
    , timer_(w.ioc())
{
    auto const& opt = w.shared().opt;
    books_.resize(static_cast<std::size_t>(opt.symbols) + data_stream_count - 1);
    want_count_ = (opt.sub_ticker ? opt.symbols : 0) + (opt.sub_trading ? int{data_stream_count} - 1 : 0);
}

client::~client() = default;

void
client::connect(phase ph)
{
    if(ph != phase_)
    {
        phase_ = ph;
        attempts_ = 0;
        done_ = false;
    }
    ++attempts_;
    ready_ = false;
    // Tracking restarts with each connection.
    books_.assign(books_.size(), stream_book{});
    seen_count_ = 0;
    auto const& opt = worker_.shared().opt;
    auto const deadline = std::chrono::steady_clock::now() +
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
            std::chrono::duration<double>(opt.handshake_timeout_s));
    session_ = std::make_shared<session>(worker_.ioc(), *this, worker_.shared(), worker_.endpoint(), deadline);
    session_->start();
}

void
client::storm(std::chrono::milliseconds delay)
{
    if(session_)
    {
        session_->drop();
        session_.reset();
    }
    timer_.cancel();
    phase_ = phase::storm;
    attempts_ = 0;
    done_ = false;
    ready_ = false;
    timer_.expires_after(delay);
    timer_.async_wait([this](boost::system::error_code ec) {
        if(!ec)
            connect(phase::storm);
    });
}

void
client::check_deadline(std::chrono::steady_clock::time_point now)
{
    if(session_ && !session_->connected() && !session_->finished() && now >= session_->deadline())
        session_->abort(failure::timeout);
}

std::string
client::connect_packet() const
{
    auto const& opt = worker_.shared().opt;
    auto const sub = "u" + std::to_string(index_ % opt.users);
    auto const exp = static_cast<std::int64_t>(std::time(nullptr)) + 3600;
    std::string p = R"(40{"token":")";
    p += mint_hs256(opt.secret, sub, exp);
    p += R"("})";
    return p;
}

void
client::on_connected()
{
    auto& st = worker_.stats();
    if(phase_ == phase::initial)
    {
        ++st.connected;
        worker_.handshake_done();
    }
    else
        ++st.storm_reconnects;
}

void
client::on_ack(bool ok)
{
    if(ok)
        return;
    auto& st = worker_.stats();
    if(phase_ == phase::initial)
        ++st.ack_errors;
    else
        ++st.storm_errors;
    // Not subscribed: this client will never have all its snapshots this phase.
    if(!done_)
        settle_failed();
}

void
client::on_event(packet const& p, std::int64_t now_us)
{
    auto& st = worker_.stats();
    ++st.messages_total;
    bool const measuring = worker_.shared().measuring.load(std::memory_order_relaxed);
    auto const k = static_cast<std::size_t>(p.event);
    if(measuring)
        ++st.by_event[k];
    if(k >= data_stream_count)
        return;
    if(measuring)
        ++st.messages;

    // The stream's book: a ticker's by symbol, a private stream's after the symbols.
    auto const symbols = static_cast<std::size_t>(worker_.shared().opt.symbols);
    std::size_t b = 0;
    if(p.event == event_kind::ticker)
    {
        if(p.symbol < 0 || static_cast<std::size_t>(p.symbol) >= symbols)
        {
            // Not one we subscribed to: nothing to track it against.
            if(measuring)
                ++st.unknown_symbol;
            return;
        }
        b = static_cast<std::size_t>(p.symbol);
        if(measuring)
            ++st.ticker_messages_by_symbol[b];
    }
    else
        b = symbols + k - 1;
    auto& book = books_[b];

    bool const first = !book.seen;
    auto& last = book.last_seq;
    if(!first && p.seq >= 0 && last >= 0)
    {
        if(p.seq > last + 1)
        {
            auto const gap = static_cast<std::uint64_t>(p.seq - last - 1);
            if(slow_)
            {
                if(measuring)
                    st.slow_seq_gaps += gap;
            }
            else
            {
                st.seq_gaps_run += gap;
                if(measuring)
                {
                    st.seq_gaps += gap;
                    if(p.event == event_kind::ticker)
                        st.seq_gaps_by_symbol[b] += gap;
                    else
                        st.private_seq_gaps[k - 1] += gap;
                }
            }
        }
        else if(p.seq <= last)
            ++st.seq_backwards;
    }
    if(p.seq > last)
        last = p.seq;

    if(first)
    {
        // The snapshot is the stream's state, not a change: its emit_us may be arbitrarily old.
        book.seen = true;
        ++seen_count_;
        // done_ without ready_: an ack said no; the client has already settled as failed.
        if(!done_ && seen_count_ >= want_count_)
            settle_ready();
        return;
    }
    if(!measuring)
        return;
    if(p.emit_us <= 0)
    {
        ++st.no_emit_us;
        return;
    }
    (slow_ ? st.latency_slow : st.latency_fast).record(now_us - p.emit_us);
}

void
client::on_end(failure f, bool was_connected)
{
    auto& st = worker_.stats();
    // Keep the session alive until it returns to us; it holds its own reference.
    session_.reset();
    if(phase_ == phase::initial && !was_connected)
        worker_.handshake_done();

    if(ready_ || done_)
    {
        // Lost after it had settled: an unexpected disconnect (the storm's own drops never get here).
        ++st.disconnects;
        return;
    }
    if(phase_ == phase::storm)
    {
        ++st.storm_errors;
        return retry_or_fail();
    }
    if(f == failure::refused)
        ++st.refused;
    else if(f == failure::closed)
        ++st.disconnects;
    else
        ++st.connect_errors;
    settle_failed();
}

void
client::retry_or_fail()
{
    if(attempts_ >= storm_attempts)
        return settle_failed();
    timer_.expires_after(worker_.jitter());
    timer_.async_wait([this](boost::system::error_code ec) {
        if(!ec)
            connect(phase::storm);
    });
}

void
client::settle_ready()
{
    ready_ = true;
    done_ = true;
    auto& shared = worker_.shared();
    auto& progress = phase_ == phase::initial ? shared.initial : shared.storm;
    progress.mark_ready(shared.since_start_ns());
}

void
client::settle_failed()
{
    done_ = true;
    auto& shared = worker_.shared();
    auto& progress = phase_ == phase::initial ? shared.initial : shared.storm;
    progress.failed.fetch_add(1, std::memory_order_release);
}

} // namespace tradepush::bench
