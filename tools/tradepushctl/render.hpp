#pragma once
// Human output of a command result: arrays of objects as aligned columns, objects as aligned
// `key: value` lines (nested ones indented), scalars as themselves.

#include <boost/json/value.hpp>

#include <string>

namespace tradepushctl {

/// Renders `result` for a person; ends with '\n'. `bold_headers` on a terminal only.
std::string render(boost::json::value const& result, bool bold_headers);

} // namespace tradepushctl
