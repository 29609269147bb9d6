#pragma once
// Percent-encoding as Bybit uses it in query strings and cursors. The raw query is what gets signed;
// these helpers only serve parameter *values* after the signature was checked.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace tradepush::bybit_sim {

/// Encodes every byte except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string
percent_encode(std::string_view s);

/// Decodes %XX escapes; nullopt on a malformed escape. '+' stays '+' (Bybit does not form-decode).
std::optional<std::string>
percent_decode(std::string_view s);

/// Splits `raw` ("a=1&b=2") into decoded parameters, first occurrence wins; false if malformed.
bool
parse_query(std::string_view raw, std::map<std::string, std::string>& out);

} // namespace tradepush::bybit_sim
