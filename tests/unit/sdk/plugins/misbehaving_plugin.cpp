// Deliberately broken plugins for the conformance kit's own tests. One source, one variant per build
// (tests/sdk.cmake sets the definition); each breaks exactly one rule of the ABI contract, so the kit must
// report FAIL for exactly the matching test ID:
//   TP_BAD_STALE_EMIT  reset_user keeps the session; the public tick keeps emitting under the old epoch
//                      -> TC-R03, TC-T04
//   TP_BAD_OFF_STRAND  open_account calls host services from a std::thread (joined before returning)
//                      -> TC-T01
//   TP_BAD_SLOW        open_account sleeps 200 ms -> TC-T02
//   TP_BAD_THROW       open_account bypasses the SDK trampoline and lets an exception cross the ABI
//                      -> TC-X01
// Without any of them it is a small correct plugin: a session per (user, account) snapshotted by an
// owner-tagged timer, a public 1 s tick re-emitting sessions and tickers.
#include <tradepush/plugin.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

namespace sdk = tradepush::sdk;

namespace {

class misbehaving_plugin {
public:
    misbehaving_plugin(sdk::host host, std::string_view) : host_(host) {}

    /// The snapshot timer of a session (cookie = its id) or the public tick (cookie 0).
    void
    on_timer(sdk::op op, std::uint64_t cookie)
    {
        if(cookie == 0) {
            tick_ = 0;
            for(auto const& [key, s] : sessions_)
                emit(key.second, s);
            for(auto const& [category, symbol] : tickers_)
                host_.emit_ticker(category, symbol, R"({"last_price":1.5})");
            arm_tick();
            return;
        }
        for(auto& [key, s] : sessions_)
            if(s.snapshot == op) {
                s.snapshot = 0;
                emit(key.second, s);
            }
    }

    /// Starts (or refreshes) a session; its snapshot follows from a timer owned by `owner`.
    sdk::status
    open_account(sdk::owner const& owner, sdk::account const& account, std::uint32_t mask)
    {
#ifdef TP_BAD_OFF_STRAND
        // Host services from another thread: the kit must refuse and record both calls.
        std::thread t{[h = host_] {
            h.log(sdk::log_level::info, "log is allowed from any thread");
            h.metric("off_strand", sdk::metric_kind::counter, 1);
            (void)h.now();
        }};
        t.join();
#endif
#ifdef TP_BAD_SLOW
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
#endif
        auto& s = sessions_[{owner.user, std::string{account.label}}];
        s.owner = owner;
        s.mask = mask == 0 ? 0xfu : mask;
        host_.cancel(s.snapshot);
        s.snapshot = host_.start_timer(owner, std::chrono::milliseconds(5), 1);
        arm_tick();
        return sdk::status::ok;
    }

    /// Re-emits one stream.
    sdk::status
    request_snapshot(sdk::owner const& owner, std::string_view account, sdk::stream stream)
    {
        auto it = sessions_.find({owner.user, std::string{account}});
        if(it == sessions_.end())
            return sdk::status::not_found;
        if(stream == sdk::stream::ticker || stream == sdk::stream::all_account)
            return sdk::status::invalid;
        session one = it->second;
        one.mask = sdk::stream_bit(stream);
        one.owner = owner;
        emit(it->first.second, one);
        return sdk::status::ok;
    }

    /// Drops a session.
    sdk::status
    close_account(sdk::owner const& owner, std::string_view account)
    {
        auto it = sessions_.find({owner.user, std::string{account}});
        if(it == sessions_.end())
            return sdk::status::not_found;
        host_.cancel(it->second.snapshot);
        sessions_.erase(it);
        return sdk::status::ok;
    }

    /// Public ticker: first state at once, then every tick.
    sdk::status
    subscribe_ticker(std::string_view category, std::string_view symbol)
    {
        if(category != "linear" || symbol.empty())
            return sdk::status::invalid;
        tickers_.emplace(std::string{category}, std::string{symbol});
        host_.emit_ticker(category, symbol, R"({"last_price":1.5})");
        arm_tick();
        return sdk::status::ok;
    }

    /// Stops a ticker.
    sdk::status
    unsubscribe_ticker(std::string_view category, std::string_view symbol)
    {
        return tickers_.erase({std::string{category}, std::string{symbol}}) ? sdk::status::ok
                                                                             : sdk::status::not_found;
    }

    /// Drops the user's sessions (or, in the stale-emit variant, "forgets" to).
    sdk::status
    reset_user(sdk::owner const& old_owner)
    {
#ifndef TP_BAD_STALE_EMIT
        for(auto it = sessions_.begin(); it != sessions_.end();) {
            if(it->first.first == old_owner.user) {
                host_.cancel(it->second.snapshot);
                it = sessions_.erase(it);
            } else {
                ++it;
            }
        }
#else
        (void)old_owner;
#endif
        return sdk::status::ok;
    }

private:
    struct session {
        sdk::owner owner;
        std::uint32_t mask = 0;
        sdk::op snapshot = 0;
    };

    void
    emit(std::string const& label, session const& s)
    {
        for(auto st : {sdk::stream::balance, sdk::stream::positions, sdk::stream::pnl, sdk::stream::orders})
            if(sdk::has_stream(s.mask, st))
                host_.emit_data(s.owner, label, st, R"({"total":1})");
    }

    void
    arm_tick()
    {
        if(tick_ == 0)
            tick_ = host_.start_timer(sdk::owner{}, std::chrono::seconds(1), 0);
    }

    sdk::host host_;
    std::map<std::pair<std::string, std::string>, session> sessions_;
    std::set<std::pair<std::string, std::string>> tickers_;
    sdk::op tick_ = 0;
};

} // namespace

#ifndef TP_BAD_THROW
TRADEPUSH_DEFINE_PLUGIN(misbehaving_plugin, "misbehaving", "0.0.1",
    R"({"account_streams":["balance","positions","pnl","orders"],"tickers":["linear"]})");
#else
namespace {

// Not noexcept and not wrapped: the exception unwinds into the host, which the ABI forbids.
tradepush_status
throwing_open_account(tradepush_instance*, tradepush_owner const*, tradepush_account const*, std::uint32_t)
{
    throw std::runtime_error("open_account let this escape");
}

constexpr tradepush_plugin_api
make_table() noexcept
{
    auto api = sdk::detail::make_plugin_api<misbehaving_plugin>("misbehaving", "0.0.1",
        R"({"account_streams":["balance","positions","pnl","orders"],"tickers":["linear"]})");
    api.open_account = &throwing_open_account;
    return api;
}

constexpr tradepush_plugin_api table = make_table();

} // namespace

extern "C" TRADEPUSH_EXPORT tradepush_plugin_api const*
tradepush_plugin_entry_v1(std::uint32_t host_abi_major, std::uint32_t)
{
    return host_abi_major == TRADEPUSH_ABI_MAJOR ? &table : nullptr;
}
#endif
