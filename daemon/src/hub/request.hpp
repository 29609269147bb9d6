#pragma once
// The four client requests: validating their arguments and building their acks. Pure functions,
// so every rejection is testable without a hub.

#include "feed/feed.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::hub {

/// Why a request is refused: the ack's error `code` and a human `message`.
struct request_error {
    std::string code;
    std::string message;
};

/// A parsed request, or the error to ack with.
template<class T>
struct parsed {
    T value{};
    std::optional<request_error> error;

    /// True when the request is valid.
    explicit operator bool() const noexcept { return !error; }
};

/// A valid `subscribe_trading` / `unsubscribe_trading`.
struct trading_request {
    unsigned types = 0;                  ///< bit set of 1u << stream_type
    std::vector<feed::stream_type> list; ///< the same types in request order, duplicates dropped
    std::optional<std::string> account;  ///< label, when given
};

/// A valid `subscribe_ticker` / `unsubscribe_ticker`.
struct ticker_request {
    std::vector<std::string> symbols;    ///< request order, duplicates dropped
    std::optional<std::string> exchange; ///< when given
    std::optional<std::string> category; ///< when given
};

/// Most types a request may list (there are four).
inline constexpr std::size_t max_types_per_request = feed::stream_type_count;

/// Parses `{"types":[...],"account":"label"}`. With `types_required` false (unsubscribe) a missing
/// `types` or a null `args` means every type. Codes: invalid_args, invalid_type.
parsed<trading_request> parse_trading_request(boost::json::value const& args, bool types_required);

/// Parses `{"symbols":[...],"exchange":"...","category":"..."}` with 1..max_symbols symbols.
/// Codes: invalid_args, invalid_symbol. Whether the exchange exists is the caller's question.
parsed<ticker_request> parse_ticker_request(boost::json::value const& args, std::size_t max_symbols);

/// True for `^[A-Z0-9]{1,32}$`.
bool valid_symbol(std::string_view s) noexcept;
/// True for linear | inverse | spot | option.
bool valid_category(std::string_view s) noexcept;

/// `{"ok":false,"error":{"code":...,"message":...}}`.
boost::json::object ack_error(std::string_view code, std::string_view message);
/// `{"ok":false,...}` from a parse error.
boost::json::object ack_error(request_error const& e);
/// `{"ok":true,"types":[...]}` plus `"account"` when not empty.
boost::json::object ack_trading(std::vector<feed::stream_type> const& types, std::string_view account);
/// `{"ok":true,"symbols":[...]}` plus exchange and category when not empty.
boost::json::object ack_ticker(std::vector<std::string> const& symbols, std::string_view exchange,
    std::string_view category);

} // namespace tradepush::hub
