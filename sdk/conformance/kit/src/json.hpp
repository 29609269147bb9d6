#pragma once
// A minimal JSON reader for the conformance kit: enough to validate the payloads a plugin emits and to
// read its features_json. Kept private (not installed) and dependency-free, so the kit needs no JSON
// library and its users get no Boost through it.

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::conformance::detail {

/// A parsed JSON value. Objects keep the last value of a duplicated key (like most parsers).
struct json_value {
    /// The JSON type of the value.
    enum class kind { null, boolean, number, string, array, object };

    kind type = kind::null;
    bool boolean = false;
    double number = 0;
    std::string string;
    std::vector<json_value> array;
    std::map<std::string, json_value, std::less<>> object;

    /// The member `key` of an object, or nullptr (also for non-objects).
    json_value const* find(std::string_view key) const;
    /// The strings of an array value, skipping other elements; empty for non-arrays.
    std::vector<std::string> strings() const;
};

/// Parses `text` as one JSON value (RFC 8259, nesting up to 256). nullopt and `error` set on failure.
std::optional<json_value> parse_json(std::string_view text, std::string* error = nullptr);

} // namespace tradepush::conformance::detail
