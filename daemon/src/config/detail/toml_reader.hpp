#pragma once
// Position-aware reading of a parsed TOML document: typed getters with ranges, and detection of
// keys nobody asked for. Private to the config module; it throws load_failure, which the loader
// catches, so no exception leaves config/.

#include <toml++/toml.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::config::detail {

/// The one exception of the config module; load_string converts it into a config_error.
struct load_failure {
    /// Complete message, position prefix included.
    std::string message;
};

/// A value together with where it was written, for errors found after reading it.
template <class T>
struct located {
    /// The value.
    T value;
    /// Where the value was written.
    toml::source_region where;
};

/// Formats messages as "name:line:col: what" and throws them.
class error_sink {
public:
    /// `source_name` is the file name shown in messages.
    explicit error_sink(std::string source_name);

    /// Throws load_failure for a problem at `where` (falls back to no position when unknown).
    [[noreturn]] void fail(toml::source_region const& where, std::string_view what) const;
    /// Throws load_failure for a problem with no source position.
    [[noreturn]] void fail(std::string_view what) const;
    /// Message for a problem at `where`, without throwing.
    std::string format(toml::source_region const& where, std::string_view what) const;

private:
    std::string source_name_;
};

/// Reads one TOML table: each getter marks its key as known; finish() rejects the rest.
class table_reader {
public:
    /// `path` is the table's dotted name in messages ("server", "auth.keys[1]"; "" for the root).
    table_reader(error_sink const& errors, toml::table const& table, std::string path);

    /// Optional integer in [min, max]; wrong type or out of range fails at the value.
    std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
    /// Optional boolean.
    std::optional<bool> boolean(std::string_view key);
    /// Optional string with its position.
    std::optional<located<std::string>> string(std::string_view key);
    /// Optional array of strings, each with its position; `where` of the result is the array's.
    std::optional<located<std::vector<located<std::string>>>> strings(std::string_view key);
    /// Optional sub-table; the caller reads it with its own table_reader.
    toml::table const* table(std::string_view key);
    /// Optional array whose elements must all be tables (`[[x]]` or an array of inline tables).
    std::optional<located<std::vector<toml::table const*>>> tables(std::string_view key);

    /// Fails at the first (in file order) key that no getter asked for, suggesting a near match.
    void finish() const;

    /// Dotted name of `key` inside this table, for messages.
    std::string name_of(std::string_view key) const;
    /// Where the value of `key` was written; the table's own position when the key is absent.
    toml::source_region where_of(std::string_view key) const;
    /// Where the table itself was written (its header).
    toml::source_region const& where() const noexcept;
    /// The error sink, for checks the caller does after reading.
    error_sink const& errors() const noexcept;

private:
    toml::node const* lookup(std::string_view key);
    [[noreturn]] void wrong_type(std::string_view key, toml::node const& n, std::string_view expected) const;

    error_sink const& errors_;
    toml::table const& table_;
    std::string path_;
    std::vector<std::string> known_;
};

} // namespace tradepush::config::detail
