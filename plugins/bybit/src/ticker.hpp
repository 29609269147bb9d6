#pragma once
// Public ticker messages (spec §5.2): `tickers.<symbol>` frames with `data` an object. Linear and inverse
// send a snapshot and then partial deltas ("a param not in the message has not changed"); spot sends
// snapshots only. ticker_book keeps the merged raw fields and renders the client's full ticker.

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tradepush::bybit {

/// What one public frame was.
enum class ticker_frame_kind { snapshot, delta, other };

/// The merged state of one symbol's ticker.
class ticker_book {
public:
    /// Applies one parsed `tickers.<symbol>` frame. Returns true if the ticker changed and is complete
    /// (a delta before the first snapshot is ignored: it cannot be shown as a full state).
    bool apply(boost::json::object const& frame);
    /// Forgets everything (after a reconnect the next snapshot starts afresh, as nautilus does).
    void clear() noexcept;
    /// True once a snapshot was applied.
    bool ready() const noexcept { return ready_; }
    /// The mark price, if the stream carries one (linear/inverse).
    std::optional<double> mark_price() const;
    /// The client JSON of the full latest ticker.
    std::string to_json(std::string_view category) const;
    /// A raw Bybit field ("" when unknown).
    std::string_view field(std::string_view name) const;

private:
    std::map<std::string, std::string, std::less<>> fields_;
    std::int64_t ts_ = 0;
    std::int64_t cs_ = -1;
    bool ready_ = false;
};

/// The topic of a public frame for `symbol`: "tickers.<symbol>".
std::string
ticker_topic(std::string_view symbol);

} // namespace tradepush::bybit
