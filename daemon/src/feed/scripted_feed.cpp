#include "feed/scripted_feed.hpp"

#include "feed/scripted_data.hpp"

#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <tuple>
#include <utility>

namespace tradepush::feed {

namespace {

std::int64_t
now_ms()
{
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

} // namespace

//------------------------------------------------------------------------------

struct scripted_feed::impl : std::enable_shared_from_this<impl> {
    /// One open upstream session of (user, account).
    struct session {
        std::uint64_t id = 0;    // unique per opening: answers for an older opening are dropped
        std::uint64_t seed = 0;
        std::uint64_t step = 0;  // how many changes the account went through
        std::uint64_t epoch = 0; // of the latest open_account; ticks and pushes carry it
        unsigned types = 0;      // types asked for so far; ticks report these
        bool failed = false;
    };
    /// One delayed answer; erasing it cancels it.
    struct pending {
        std::optional<std::string> user; // empty for ticker answers
        std::unique_ptr<net::steady_timer> timer;
    };
    using session_key = std::pair<std::string, std::string>;
    using ticker_key = std::tuple<std::string, std::string, std::string>;

    net::any_io_executor control;
    scripted_options opts;
    sink* out = nullptr;
    counters count;
    std::map<session_key, session> sessions;
    std::map<ticker_key, std::uint64_t> tickers; // -> step
    std::map<std::uint64_t, pending> pendings;
    std::uint64_t next_id = 1;
    net::steady_timer tick_timer;
    bool ticking = false;

    impl(net::any_io_executor ex, scripted_options o)
        : control(ex)
        , opts(std::move(o))
        , tick_timer(ex)
    {
    }

    // Runs `fn` after the snapshot delay unless the answer is cancelled (reset_user, destruction) first.
    // Even a zero delay goes through the timer: answers never arrive inside the provider call.
    void
    schedule(std::optional<std::string> user, std::function<void(impl&)> fn)
    {
        auto const id = next_id++;
        auto& p = pendings[id];
        p.user = std::move(user);
        p.timer = std::make_unique<net::steady_timer>(control, opts.snapshot_delay);
        p.timer->async_wait([w = weak_from_this(), id, fn = std::move(fn)](boost::system::error_code ec) {
            auto self = w.lock();
            if(!self)
                return;
            auto it = self->pendings.find(id);
            if(it == self->pendings.end())
                return; // cancelled by reset_user
            self->pendings.erase(it);
            if(ec || !self->out)
                return;
            fn(*self);
        });
    }

    session*
    find(std::string_view user, std::string_view account)
    {
        auto it = sessions.find(session_key(user, account));
        return it == sessions.end() ? nullptr : &it->second;
    }

    // Reports the current state of `types` of a session. Copies first: the sink may call back in.
    void
    emit(std::string const& user, std::string const& account, session const& s, unsigned types)
    {
        auto const seed = s.seed, step = s.step, epoch = s.epoch;
        for(std::size_t i = 0; i < stream_type_count; ++i) {
            if(!(types & (1u << i)) || !out)
                continue;
            auto const t = static_cast<stream_type>(i);
            out->on_account_data(user, account, t, script::account_state(seed, step, t), epoch);
        }
    }

    void
    answer_later(std::string const& user, std::string const& account, std::uint64_t session_id, unsigned types,
        std::uint64_t epoch)
    {
        schedule(user, [user, account, session_id, types, epoch](impl& self) {
            auto* s = self.find(user, account);
            if(!s || s->id != session_id)
                return; // closed or reopened since
            auto copy = *s;
            copy.epoch = epoch; // an answer carries the epoch of its request
            self.emit(user, account, copy, types);
        });
    }

    void
    arm_tick()
    {
        if(ticking || opts.tick_interval.count() <= 0 || (sessions.empty() && tickers.empty()))
            return;
        ticking = true;
        tick_timer.expires_after(opts.tick_interval);
        tick_timer.async_wait([w = weak_from_this()](boost::system::error_code ec) {
            auto self = w.lock();
            if(!self)
                return;
            self->ticking = false;
            if(ec)
                return;
            self->on_tick();
            self->arm_tick();
        });
    }

    void
    on_tick()
    {
        // Collect first: reporting may re-enter the provider and change the maps.
        std::vector<std::tuple<std::string, std::string, session>> accounts;
        for(auto& [key, s] : sessions) {
            if(s.failed)
                continue;
            ++s.step;
            accounts.emplace_back(key.first, key.second, s);
        }
        std::vector<std::pair<ticker_key, std::uint64_t>> ticks;
        for(auto& [key, step] : tickers)
            ticks.emplace_back(key, ++step);
        for(auto const& [user, account, s] : accounts)
            emit(user, account, s, s.types);
        auto const ts = now_ms();
        for(auto const& [key, step] : ticks)
            if(out)
                out->on_ticker(std::get<0>(key), std::get<1>(key), std::get<2>(key),
                    script::ticker_state(std::get<2>(key), step, ts));
    }
};

//------------------------------------------------------------------------------

scripted_feed::scripted_feed(net::any_io_executor control, scripted_options opts)
    : impl_(std::make_shared<impl>(control, std::move(opts)))
{
}

scripted_feed::~scripted_feed()
{
    // Destroying the timers cancels them; their handlers find the weak reference expired.
    impl_->out = nullptr;
    impl_->pendings.clear();
    impl_->tick_timer.cancel();
}

void
scripted_feed::set_sink(sink* s)
{
    impl_->out = s;
}

bool
scripted_feed::has_exchange(std::string_view exchange) const
{
    auto const& ex = impl_->opts.exchanges;
    return std::find(ex.begin(), ex.end(), exchange) != ex.end();
}

void
scripted_feed::open_account(std::string_view user, account const& acct, unsigned types, std::uint64_t epoch)
{
    auto& m = *impl_;
    ++m.count.opens;
    auto [it, created] = m.sessions.try_emplace(impl::session_key(user, acct.label));
    auto& s = it->second;
    if(created) {
        s.id = m.next_id++;
        s.seed = script::account_seed(user, acct.label);
    }
    s.epoch = epoch;
    s.types |= types;
    m.answer_later(std::string(user), acct.label, s.id, types, epoch);
    m.arm_tick();
}

void
scripted_feed::request_snapshot(std::string_view user, std::string_view account, stream_type type,
    std::uint64_t epoch)
{
    auto& m = *impl_;
    ++m.count.snapshot_requests;
    auto* s = m.find(user, account);
    if(!s) {
        // A real upstream would fail the same way; say so rather than stay silent.
        m.schedule(std::string(user),
            [user = std::string(user), account = std::string(account), type, epoch](impl& self) {
                self.out->on_account_status(
                    user, account, type, stream_state::error, "no_session", "account is not open", epoch);
            });
        return;
    }
    s->types |= 1u << static_cast<unsigned>(type);
    m.answer_later(std::string(user), std::string(account), s->id, 1u << static_cast<unsigned>(type), epoch);
}

void
scripted_feed::close_account(std::string_view user, std::string_view account)
{
    ++impl_->count.closes;
    impl_->sessions.erase(impl::session_key(user, account));
}

void
scripted_feed::reset_user(std::string_view user)
{
    auto& m = *impl_;
    ++m.count.resets;
    std::erase_if(m.sessions, [&](auto const& kv) { return kv.first.first == user; });
    // Erasing destroys the timers: a delayed answer started before the reset is never delivered.
    std::erase_if(m.pendings, [&](auto const& kv) { return kv.second.user && *kv.second.user == user; });
}

void
scripted_feed::subscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol)
{
    auto& m = *impl_;
    ++m.count.ticker_subscribes;
    impl::ticker_key key(exchange, category, symbol);
    if(!m.tickers.try_emplace(key, 0).second)
        return;
    // Like an exchange, a new subscription starts with a snapshot.
    m.schedule(std::nullopt, [key](impl& self) {
        auto it = self.tickers.find(key);
        if(it == self.tickers.end())
            return;
        self.out->on_ticker(std::get<0>(key), std::get<1>(key), std::get<2>(key),
            script::ticker_state(std::get<2>(key), it->second, now_ms()));
    });
    m.arm_tick();
}

void
scripted_feed::unsubscribe_ticker(std::string_view exchange, std::string_view category, std::string_view symbol)
{
    ++impl_->count.ticker_unsubscribes;
    impl_->tickers.erase(impl::ticker_key(exchange, category, symbol));
}

void
scripted_feed::set_snapshot_delay(std::chrono::milliseconds delay)
{
    impl_->opts.snapshot_delay = delay;
}

void
scripted_feed::push_account_change(std::string_view user, std::string_view account)
{
    auto& m = *impl_;
    auto* s = m.find(user, account);
    if(!s)
        return;
    s->failed = false;
    ++s->step;
    auto const copy = *s;
    m.emit(std::string(user), std::string(account), copy, copy.types);
}

void
scripted_feed::push_ticker(std::string_view exchange, std::string_view category, std::string_view symbol,
    boost::json::value data)
{
    auto& m = *impl_;
    if(!m.out || !m.tickers.contains(impl::ticker_key(exchange, category, symbol)))
        return;
    m.out->on_ticker(exchange, category, symbol, std::move(data));
}

void
scripted_feed::fail_account(std::string_view user, std::string_view account, std::string_view code,
    std::string_view message)
{
    auto& m = *impl_;
    auto* s = m.find(user, account);
    if(!s)
        return;
    s->failed = true;
    if(m.out)
        m.out->on_account_status(user, account, std::nullopt, stream_state::error, code, message, s->epoch);
}

scripted_feed::counters const&
scripted_feed::stats() const noexcept
{
    return impl_->count;
}

std::size_t
scripted_feed::open_sessions() const noexcept
{
    return impl_->sessions.size();
}

std::size_t
scripted_feed::ticker_streams() const noexcept
{
    return impl_->tickers.size();
}

} // namespace tradepush::feed
