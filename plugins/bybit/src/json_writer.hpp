#pragma once
// A tiny append-only JSON writer for the normalized payloads. Hand-written rather than boost::json
// serialization so numbers keep Bybit's exact decimal text ("0.10" stays 0.10, no 1.0E-1 forms) and
// so the output is byte-for-byte predictable in tests.

#include <string>
#include <string_view>

namespace tradepush::bybit {

/// Builds one compact JSON text. The caller is responsible for the object/array nesting being balanced.
class json_writer {
public:
    /// Starts an object ('{'), as a value or, with a key, as a member.
    json_writer& begin_object(std::string_view key = {});
    /// Ends the current object.
    json_writer& end_object();
    /// Starts an array, as a value or, with a key, as a member.
    json_writer& begin_array(std::string_view key = {});
    /// Ends the current array.
    json_writer& end_array();

    /// A string member (escaped).
    json_writer& string(std::string_view key, std::string_view value);
    /// A string array element.
    json_writer& string_value(std::string_view value);
    /// A numeric member from a Bybit decimal string: copied verbatim when it is a plain decimal, null
    /// otherwise ("" means unset in Bybit's API).
    json_writer& decimal(std::string_view key, std::string_view value);
    /// A numeric member from a computed double (shortest round-trip text).
    json_writer& number(std::string_view key, double value);
    /// An integer member.
    json_writer& integer(std::string_view key, long long value);
    /// A boolean member.
    json_writer& boolean(std::string_view key, bool value);
    /// A null member.
    json_writer& null(std::string_view key);

    /// The text written so far.
    std::string const& str() const noexcept { return out_; }
    /// Moves the text out.
    std::string release() noexcept { return std::move(out_); }

private:
    void key(std::string_view k);
    void separate();

    std::string out_;
    bool need_comma_ = false;
};

/// Appends `s` as a JSON string literal (quotes included) to `out`.
void
append_json_string(std::string& out, std::string_view s);

} // namespace tradepush::bybit
