#include "config/detail/toml_reader.hpp"

#include <algorithm>
#include <utility>

namespace tradepush::config::detail {

namespace {

// The article matters only for readability of "expected an integer, found a string".
std::string_view
describe(toml::node_type t) noexcept
{
    switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a floating-point number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
    }
    return "nothing";
}

// Plain Levenshtein distance; key names are short, so O(n*m) is nothing.
std::size_t
edit_distance(std::string_view a, std::string_view b)
{
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t const up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

bool
before(toml::source_position const& a, toml::source_position const& b) noexcept
{
    return a.line != b.line ? a.line < b.line : a.column < b.column;
}

} // namespace

//------------------------------------------------------------------------------

error_sink::error_sink(std::string source_name)
    : source_name_(std::move(source_name))
{
}

std::string
error_sink::format(toml::source_region const& where, std::string_view what) const
{
    std::string msg = source_name_;
    // toml++ leaves line/column at 0 for nodes it synthesised (e.g. implicit tables).
    if (where.begin) {
        msg += ':';
        msg += std::to_string(where.begin.line);
        msg += ':';
        msg += std::to_string(where.begin.column);
    }
    msg += ": ";
    msg += what;
    return msg;
}

void
error_sink::fail(toml::source_region const& where, std::string_view what) const
{
    throw load_failure{format(where, what)};
}

void
error_sink::fail(std::string_view what) const
{
    throw load_failure{source_name_ + ": " + std::string(what)};
}

//------------------------------------------------------------------------------

table_reader::table_reader(error_sink const& errors, toml::table const& table, std::string path)
    : errors_(errors)
    , table_(table)
    , path_(std::move(path))
{
}

std::string
table_reader::name_of(std::string_view key) const
{
    if (path_.empty())
        return std::string(key);
    return path_ + "." + std::string(key);
}

toml::source_region
table_reader::where_of(std::string_view key) const
{
    if (auto const* n = table_.get(key))
        return n->source();
    return table_.source();
}

toml::source_region const&
table_reader::where() const noexcept
{
    return table_.source();
}

error_sink const&
table_reader::errors() const noexcept
{
    return errors_;
}

toml::node const*
table_reader::lookup(std::string_view key)
{
    known_.emplace_back(key);
    return table_.get(key);
}

void
table_reader::wrong_type(std::string_view key, toml::node const& n, std::string_view expected) const
{
    // Only the type is named, never the value: the value may be a secret.
    errors_.fail(n.source(),
        name_of(key) + ": expected " + std::string(expected) + ", found " + std::string(describe(n.type())));
}

std::optional<std::int64_t>
table_reader::integer(std::string_view key, std::int64_t min, std::int64_t max)
{
    auto const* n = lookup(key);
    if (!n)
        return std::nullopt;
    auto const* v = n->as_integer();
    if (!v)
        wrong_type(key, *n, "an integer");
    std::int64_t const i = v->get();
    if (i < min || i > max)
        errors_.fail(n->source(), name_of(key) + ": " + std::to_string(i) + " is out of range " +
            std::to_string(min) + ".." + std::to_string(max));
    return i;
}

std::optional<bool>
table_reader::boolean(std::string_view key)
{
    auto const* n = lookup(key);
    if (!n)
        return std::nullopt;
    auto const* v = n->as_boolean();
    if (!v)
        wrong_type(key, *n, "a boolean (true or false)");
    return v->get();
}

std::optional<located<std::string>>
table_reader::string(std::string_view key)
{
    auto const* n = lookup(key);
    if (!n)
        return std::nullopt;
    auto const* v = n->as_string();
    if (!v)
        wrong_type(key, *n, "a string");
    return located<std::string>{v->get(), n->source()};
}

std::optional<located<std::vector<located<std::string>>>>
table_reader::strings(std::string_view key)
{
    auto const* n = lookup(key);
    if (!n)
        return std::nullopt;
    auto const* arr = n->as_array();
    if (!arr)
        wrong_type(key, *n, "an array of strings");
    located<std::vector<located<std::string>>> out{{}, n->source()};
    out.value.reserve(arr->size());
    for (std::size_t i = 0; i < arr->size(); ++i) {
        auto const& elem = *arr->get(i);
        auto const* s = elem.as_string();
        if (!s)
            errors_.fail(elem.source(), name_of(key) + "[" + std::to_string(i) + "]: expected a string, found " +
                std::string(describe(elem.type())));
        out.value.push_back({s->get(), elem.source()});
    }
    return out;
}

toml::table const*
table_reader::table(std::string_view key)
{
    auto const* n = lookup(key);
    if (!n)
        return nullptr;
    auto const* t = n->as_table();
    if (!t)
        wrong_type(key, *n, "a table");
    return t;
}

std::optional<located<std::vector<toml::table const*>>>
table_reader::tables(std::string_view key)
{
    auto const* n = lookup(key);
    if (!n)
        return std::nullopt;
    auto const* arr = n->as_array();
    if (!arr)
        wrong_type(key, *n, "an array of tables ([[" + name_of(key) + "]])");
    located<std::vector<toml::table const*>> out{{}, n->source()};
    for (std::size_t i = 0; i < arr->size(); ++i) {
        auto const& elem = *arr->get(i);
        auto const* t = elem.as_table();
        if (!t)
            errors_.fail(elem.source(), name_of(key) + "[" + std::to_string(i) + "]: expected a table, found " +
                std::string(describe(elem.type())));
        out.value.push_back(t);
    }
    return out;
}

void
table_reader::finish() const
{
    // Report the earliest unknown key in the file, not the first in toml++'s (sorted) map order,
    // so the message points where a human reading top-down would look first.
    toml::key const* worst = nullptr;
    for (auto const& [k, v] : table_) {
        if (std::find(known_.begin(), known_.end(), k.str()) != known_.end())
            continue;
        if (!worst || before(k.source().begin, worst->source().begin))
            worst = &k;
    }
    if (!worst)
        return;

    std::string what = "unknown key '" + name_of(worst->str()) + "'";
    std::string_view best;
    std::size_t best_distance = 3; // more than two edits is a different word, not a typo
    for (auto const& candidate : known_) {
        std::size_t const d = edit_distance(worst->str(), candidate);
        if (d < best_distance) {
            best_distance = d;
            best = candidate;
        }
    }
    if (!best.empty())
        what += " (did you mean '" + std::string(best) + "'?)";
    errors_.fail(worst->source(), what);
}

} // namespace tradepush::config::detail
