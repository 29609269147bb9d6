#include "feed/scripted_data.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace tradepush::feed::script {

namespace json = boost::json;

namespace {

// Rounds to `decimals` places so the numbers look like real quotes, not float noise. Dividing by the
// exact power of ten (rather than multiplying by 0.01) yields the double nearest to the decimal, which
// prints back as that short decimal.
double
round_to(double v, int decimals) noexcept
{
    auto const scale = std::pow(10.0, decimals);
    return std::round(v * scale) / scale;
}

// A smooth oscillation in [-1, 1]: every step moves the price, and it never drifts away.
double
wave(std::uint64_t step, std::uint64_t seed, double speed) noexcept
{
    auto const phase = static_cast<double>(seed % 6283) / 1000.0;
    return std::sin(static_cast<double>(step) * speed + phase);
}

double
base_price(std::string_view symbol) noexcept
{
    if(symbol == "BTCUSDT" || symbol == "BTCUSD")
        return 65000.0;
    if(symbol == "ETHUSDT" || symbol == "ETHUSD")
        return 3500.0;
    if(symbol == "SOLUSDT")
        return 150.0;
    // Unknown symbols still get a stable, plausible price.
    return 1.0 + static_cast<double>(account_seed(symbol, "") % 100000) / 100.0;
}

// Price decimals: 0.1 ticks for large prices, 0.01 below.
int
price_decimals(double price) noexcept
{
    return price >= 1000.0 ? 1 : 2;
}

struct position {
    char const* symbol;
    bool is_long;
    double size;
    double entry;
    double mark;
    double leverage;

    double
    upnl() const noexcept
    {
        return round_to((mark - entry) * size * (is_long ? 1.0 : -1.0), 4);
    }
};

// One BTC position for everyone, an ETH one for about half of the accounts.
std::vector<position>
positions_of(std::uint64_t seed, std::uint64_t step)
{
    std::vector<position> out;
    auto make = [&](char const* symbol, bool is_long, double size, std::uint64_t salt) {
        auto const base = base_price(symbol);
        auto const entry = round_to(base * (1.0 + static_cast<double>((seed >> 8 ^ salt) % 400) / 10000.0 - 0.02),
            price_decimals(base));
        auto const mark = round_to(base * (1.0 + 0.003 * wave(step, seed ^ salt, 0.9)), price_decimals(base));
        auto const leverage = static_cast<double>(1 + (seed >> 20 ^ salt) % 20);
        out.push_back(position{symbol, is_long, size, entry, mark, leverage});
    };
    make("BTCUSDT", true, round_to(0.001 * static_cast<double>(1 + seed % 200), 3), 0);
    if((seed >> 16) & 1)
        make("ETHUSDT", (seed >> 17) & 1, round_to(0.01 * static_cast<double>(1 + (seed >> 32) % 100), 2), 0x9e37);
    return out;
}

// Realised PnL grows when the resting order fills (every third step).
double
realised_of(std::uint64_t seed, std::uint64_t step) noexcept
{
    return round_to(static_cast<double>((seed >> 32) % 1000) / 10.0 + 0.5 * static_cast<double>(step / 3), 2);
}

json::value
balance_of(std::uint64_t seed, std::uint64_t step)
{
    double upnl = 0, margin = 0;
    for(auto const& p : positions_of(seed, step)) {
        upnl += p.upnl();
        margin += p.size * p.entry / p.leverage;
    }
    auto const wallet =
        round_to(1000.0 + static_cast<double>((seed >> 24) % 50000) + realised_of(seed, step), 2);
    auto const equity = round_to(wallet + upnl, 2);
    auto const available = round_to(std::max(0.0, equity - margin), 2);
    json::array coins;
    coins.push_back(json::object{{"coin", "USDT"}, {"equity", equity}, {"available_balance", available},
        {"wallet_balance", wallet}, {"unrealised_pnl", round_to(upnl, 4)}});
    return json::object{{"total_equity", equity}, {"coins", std::move(coins)}};
}

json::value
positions_json(std::uint64_t seed, std::uint64_t step)
{
    json::array list;
    for(auto const& p : positions_of(seed, step))
        list.push_back(json::object{{"symbol", p.symbol}, {"side", p.is_long ? "long" : "short"},
            {"size", p.size}, {"entry_price", p.entry}, {"mark_price", p.mark}, {"unrealised_pnl", p.upnl()},
            {"leverage", p.leverage}});
    return json::object{{"positions", std::move(list)}};
}

json::value
pnl_of(std::uint64_t seed, std::uint64_t step)
{
    double upnl = 0;
    for(auto const& p : positions_of(seed, step))
        upnl += p.upnl();
    return json::object{{"unrealised_pnl", round_to(upnl, 4)}, {"realised_pnl", realised_of(seed, step)}};
}

// A resting BTC buy that fills in five slices and then is replaced, and an ETH sell that never fills:
// orders change less often than prices, so the hub's dedup has something to skip.
json::value
orders_of(std::uint64_t seed, std::uint64_t step)
{
    char id[32];
    auto const cycle = step / 3;
    auto const slice = cycle % 6;
    std::snprintf(id, sizeof id, "%08llx-%llu", static_cast<unsigned long long>(seed & 0xffffffffu),
        static_cast<unsigned long long>(cycle / 6 + 1));
    auto const qty = 0.01;
    auto const filled = round_to(std::min(qty, 0.002 * static_cast<double>(slice)), 3);
    char const* status = slice == 0 ? "new" : filled < qty ? "partially_filled" : "filled";
    json::array list;
    list.push_back(json::object{{"order_id", id}, {"symbol", "BTCUSDT"}, {"side", "buy"}, {"type", "limit"},
        {"price", round_to(base_price("BTCUSDT") * 0.97, 1)}, {"qty", qty}, {"filled_qty", filled},
        {"status", status}});
    std::snprintf(id, sizeof id, "%08llx-s", static_cast<unsigned long long>(seed >> 32));
    list.push_back(json::object{{"order_id", id}, {"symbol", "ETHUSDT"}, {"side", "sell"}, {"type", "limit"},
        {"price", round_to(base_price("ETHUSDT") * 1.05, 2)}, {"qty", 0.5}, {"filled_qty", 0.0},
        {"status", "new"}});
    return json::object{{"orders", std::move(list)}};
}

} // namespace

std::uint64_t
account_seed(std::string_view user, std::string_view account) noexcept
{
    std::uint64_t h = 0xcbf29ce484222325ull;
    auto mix = [&](std::string_view s) {
        for(unsigned char c : s) {
            h ^= c;
            h *= 0x100000001b3ull;
        }
    };
    mix(user);
    mix("/");
    mix(account);
    // FNV's low bits are weak for short keys; finish with a splitmix64 round.
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    h ^= h >> 31;
    return h;
}

json::value
account_state(std::uint64_t seed, std::uint64_t step, stream_type type)
{
    switch(type) {
    case stream_type::balance:
        return balance_of(seed, step);
    case stream_type::positions:
        return positions_json(seed, step);
    case stream_type::pnl:
        return pnl_of(seed, step);
    case stream_type::orders:
        return orders_of(seed, step);
    }
    return json::object{};
}

json::value
ticker_state(std::string_view symbol, std::uint64_t step, std::int64_t ts_ms)
{
    auto const base = base_price(symbol);
    auto const decimals = price_decimals(base);
    auto const tick = decimals == 1 ? 0.1 : 0.01;
    auto const seed = account_seed(symbol, "ticker");
    auto const last = round_to(base * (1.0 + 0.002 * wave(step, seed, 1.3)), decimals);
    auto const mark = round_to(last * 1.0001, decimals);
    auto const volume = round_to(static_cast<double>(seed % 100000) + 1.5 * static_cast<double>(step), 3);
    return json::object{{"symbol", symbol}, {"last_price", last}, {"mark_price", mark},
        {"bid", round_to(last - tick, decimals)}, {"ask", round_to(last + tick, decimals)}, {"volume_24h", volume},
        {"ts", ts_ms}};
}

} // namespace tradepush::feed::script
