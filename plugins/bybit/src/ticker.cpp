#include "ticker.hpp"

#include "decimal.hpp"
#include "json_writer.hpp"

#include <boost/json/object.hpp>

namespace tradepush::bybit {

namespace json = boost::json;

namespace {

// Client field names for Bybit's ticker fields, in output order. Fields a category lacks (spot has no
// mark price or bid/ask over WebSocket) are left out of the output rather than sent as null.
struct field_map {
    char const* out;
    char const* in;
};
constexpr field_map ticker_fields[] = {
    {"last_price", "lastPrice"},
    {"mark_price", "markPrice"},
    {"index_price", "indexPrice"},
    {"bid", "bid1Price"},
    {"bid_size", "bid1Size"},
    {"ask", "ask1Price"},
    {"ask_size", "ask1Size"},
    {"high_24h", "highPrice24h"},
    {"low_24h", "lowPrice24h"},
    {"prev_price_24h", "prevPrice24h"},
    {"price_24h_pcnt", "price24hPcnt"},
    {"volume_24h", "volume24h"},
    {"turnover_24h", "turnover24h"},
    {"open_interest", "openInterest"},
    {"open_interest_value", "openInterestValue"},
    {"funding_rate", "fundingRate"},
    {"next_funding_time", "nextFundingTime"},
    {"usd_index_price", "usdIndexPrice"},
};

std::int64_t
int_field(json::object const& o, std::string_view key, std::int64_t fallback)
{
    auto const* v = o.if_contains(key);
    if(v && v->is_int64())
        return v->as_int64();
    if(v && v->is_uint64())
        return static_cast<std::int64_t>(v->as_uint64());
    return fallback;
}

} // namespace

std::string
ticker_topic(std::string_view symbol)
{
    return "tickers." + std::string(symbol);
}

bool
ticker_book::apply(json::object const& frame)
{
    auto const* type = frame.if_contains("type");
    auto const* data = frame.if_contains("data");
    if(!type || !type->is_string() || !data || !data->is_object())
        return false;
    bool const snapshot = type->as_string() == "snapshot";
    if(!snapshot && type->as_string() != "delta")
        return false;
    if(!snapshot && !ready_)
        return false;
    if(snapshot)
        fields_.clear();
    for(auto const& [k, v] : data->as_object()) {
        if(v.is_string())
            fields_[std::string(k)] = std::string(v.as_string());
        else if(v.is_int64())
            fields_[std::string(k)] = std::to_string(v.as_int64());
        else if(v.is_uint64())
            fields_[std::string(k)] = std::to_string(v.as_uint64());
    }
    ts_ = int_field(frame, "ts", ts_);
    cs_ = int_field(frame, "cs", cs_);
    ready_ = true;
    return true;
}

void
ticker_book::clear() noexcept
{
    fields_.clear();
    ts_ = 0;
    cs_ = -1;
    ready_ = false;
}

std::string_view
ticker_book::field(std::string_view name) const
{
    auto it = fields_.find(name);
    return it == fields_.end() ? std::string_view{} : std::string_view{it->second};
}

std::optional<double>
ticker_book::mark_price() const
{
    return parse_decimal(field("markPrice"));
}

std::string
ticker_book::to_json(std::string_view category) const
{
    json_writer w;
    w.begin_object().string("symbol", field("symbol")).string("category", category);
    for(auto const& f : ticker_fields) {
        auto it = fields_.find(std::string_view{f.in});
        if(it == fields_.end())
            continue;
        w.decimal(f.out, it->second);
    }
    w.integer("ts", ts_).end_object();
    return w.release();
}

} // namespace tradepush::bybit
