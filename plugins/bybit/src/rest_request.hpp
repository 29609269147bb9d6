#pragma once
// REST request building (spec §2-3): query strings are built once, in a fixed parameter order, and the
// very same bytes are signed and sent (sorting or re-encoding between the two breaks signatures, see the
// cursor bugs in spec §2).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tradepush::bybit {

/// An ordered list of query parameters. Values are percent-encoded on output, except `raw` ones (Bybit's
/// `nextPageCursor` comes already percent-encoded and must go back byte-identical).
class query {
public:
    /// Appends name=value, percent-encoding the value (RFC 3986 unreserved characters kept).
    query& add(std::string_view name, std::string_view value);
    /// Appends name=value with value copied verbatim (already encoded by the server).
    query& add_raw(std::string_view name, std::string_view value);
    /// The query string, without '?': exactly what is signed and sent.
    std::string const& str() const noexcept { return text_; }

private:
    std::string text_;
};

/// Percent-encodes everything but RFC 3986 unreserved characters.
std::string
percent_encode(std::string_view s);

/// A GET request to make: path and query; the URL is base + path + '?' + query.
struct rest_call {
    std::string path;  ///< e.g. /v5/account/wallet-balance
    std::string query; ///< e.g. accountType=UNIFIED
    bool is_private{true};

    /// The absolute URL on `base` (no trailing '/').
    std::string url(std::string_view base) const;
};

/// GET /v5/market/time (public).
rest_call
market_time_call();
/// GET /v5/account/wallet-balance?accountType=UNIFIED.
rest_call
wallet_balance_call();
/// GET /v5/position/list?category=linear&settleCoin=<coin>&limit=200[&cursor=...].
rest_call
position_list_call(std::string_view settle_coin, std::string_view cursor = {});
/// GET /v5/order/realtime?category=linear&settleCoin=<coin>&limit=50[&cursor=...].
rest_call
open_orders_call(std::string_view settle_coin, std::string_view cursor = {});

} // namespace tradepush::bybit
