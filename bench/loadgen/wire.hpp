// Reading the few Engine.IO v4 / Socket.IO v5 packets the load generator cares about.
//
// Pushes are not JSON-parsed: after the event name is known, `"seq":` and `"emit_us":` are found by
// a substring scan. At 100k+ messages per second on one core a full parse of every push would make
// the load generator, not the server, the thing being measured.

#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tradepush::bench {

/// The events the contract defines (bench/CONTRACT.md) plus the server's stream_status.
enum class event_kind : std::uint8_t
{
    ticker,
    balance,
    positions,
    pnl,
    orders,
    stream_status,
    other
};

inline constexpr std::size_t event_kind_count = 7;
inline constexpr std::array<std::string_view, event_kind_count> event_names{
    "ticker", "balance", "positions", "pnl", "orders", "stream_status", "other"};

/// Data streams carry seq and emit_us; they are the first five kinds.
inline constexpr std::size_t data_stream_count = 5;

/// The scripted upstream's tickers (bench/CONTRACT.md, `--symbols N`): symbol 0 is `BTCUSDT`,
/// symbol k > 0 is `SYM<k>USDT`.
inline constexpr int max_symbols = 64;

enum class packet_kind : std::uint8_t
{
    eio_open,          // 0{...}
    eio_close,         // 1
    eio_ping,          // 2
    sio_connect,       // 40{"sid":...}
    sio_connect_error, // 44{...}
    sio_disconnect,    // 41
    sio_event,         // 42["name",...]
    sio_ack,           // 43<id>[...]
    other
};

struct packet
{
    packet_kind kind = packet_kind::other;
    event_kind event = event_kind::other;
    // Event pushes: -1 when absent.
    std::int64_t seq = -1;
    std::int64_t emit_us = -1;
    // Ticker pushes: the symbol's index (see max_symbols); -1 when absent or not one of ours.
    int symbol = -1;
    // Acks: the id and whether the first argument says "ok":true.
    std::int64_t ack_id = -1;
    bool ack_ok = false;
};

/// Classifies one Engine.IO text message and pulls out what the load generator records.
packet
parse_packet(std::string_view msg) noexcept;

/// The name of symbol `index` (BTCUSDT, SYM1USDT, SYM2USDT, ...).
std::string
symbol_name(int index);

/// The index of a symbol name of ours, or -1.
int
symbol_index(std::string_view name) noexcept;

/// The integer right after `key` (e.g. `"seq":`) in `s`, searching from `from`; -1 when absent.
std::int64_t
find_int(std::string_view s, std::string_view key, std::size_t from = 0) noexcept;

} // namespace tradepush::bench
