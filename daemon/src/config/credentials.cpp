#include "config/credentials.hpp"

#include "config/detail/file_io.hpp"
#include "config/detail/toml_reader.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>

namespace tradepush::config {

namespace {

using detail::error_sink;
using detail::table_reader;

// Generous for any real deployment, small enough that a wrong path cannot eat memory.
constexpr std::size_t max_file_bytes = 16 * 1024 * 1024;
constexpr std::size_t max_accounts_per_user = 32;
constexpr std::size_t max_user_id = 128;
constexpr std::size_t max_label = 32;
constexpr std::size_t max_key = 256;

constexpr std::array networks{"mainnet", "testnet", "demo"};

bool
is_label(std::string_view s)
{
    return !s.empty() && s.size() <= max_label && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

// Keys go into HTTP headers and signatures: printable ASCII without spaces.
bool
is_key(std::string_view s)
{
    return !s.empty() && s.size() <= max_key && std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 127; });
}

feed::account
read_account(table_reader& a, std::vector<feed::account> const& earlier)
{
    auto const& errors = a.errors();
    feed::account acct;
    // A required string; the secret's value never appears in a message.
    auto required = [&](std::string_view key, std::string& out) -> toml::source_region {
        auto v = a.string(key);
        if (!v)
            errors.fail(a.where(), a.name_of(key) + ": required");
        out = std::move(v->value);
        return v->where;
    };
    auto const label_at = required("label", acct.label);
    auto const exchange_at = required("exchange", acct.exchange);
    auto const network_at = required("network", acct.network);
    auto const key_at = required("api_key", acct.api_key);
    auto const secret_at = required("api_secret", acct.api_secret);
    a.finish();

    if (!is_label(acct.label))
        errors.fail(label_at, a.name_of("label") + ": 1 to 32 of A-Z a-z 0-9 _ -");
    if (std::any_of(earlier.begin(), earlier.end(), [&](auto const& e) { return e.label == acct.label; }))
        errors.fail(label_at, a.name_of("label") + ": '" + acct.label + "' is used twice for this user");
    if (!is_label(acct.exchange))
        errors.fail(exchange_at, a.name_of("exchange") + ": 1 to 32 of A-Z a-z 0-9 _ -");
    if (std::find(networks.begin(), networks.end(), acct.network) == networks.end())
        errors.fail(network_at, a.name_of("network") + ": expected mainnet, testnet or demo");
    if (!is_key(acct.api_key))
        errors.fail(key_at, a.name_of("api_key") + ": 1 to 256 printable characters without spaces");
    if (!is_key(acct.api_secret))
        errors.fail(secret_at, a.name_of("api_secret") + ": 1 to 256 printable characters without spaces");
    return acct;
}

credentials
read_document(toml::table const& root, error_sink const& errors)
{
    credentials out;
    table_reader r(errors, root, "");
    auto const* users = r.table("users");
    r.finish();
    if (!users)
        return out;
    table_reader u(errors, *users, "users");
    for (auto const& [key, node] : *users) {
        std::string const user(key.str());
        if (user.empty() || user.size() > max_user_id)
            errors.fail(node.source(), "users: a user id must have 1 to 128 characters");
        auto list = u.tables(user);
        if (!list || list->value.empty())
            errors.fail(node.source(), u.name_of(user) + ": expected [[" + u.name_of(user) + "]] account tables");
        if (list->value.size() > max_accounts_per_user)
            errors.fail(list->where, u.name_of(user) + ": more than 32 accounts");
        auto& accounts = out.users[user];
        for (std::size_t i = 0; i < list->value.size(); ++i) {
            table_reader a(errors, *list->value[i], u.name_of(user) + "[" + std::to_string(i) + "]");
            accounts.push_back(read_account(a, accounts));
        }
    }
    u.finish();
    return out;
}

} // namespace

std::size_t
credentials::accounts() const noexcept
{
    std::size_t n = 0;
    for (auto const& [user, list] : users)
        n += list.size();
    return n;
}

boost::system::result<credentials, config_error>
load_credentials_string(std::string_view text, std::filesystem::path const& source_name)
{
    error_sink const errors(source_name.string());
    try {
        toml::table root;
        try {
            root = toml::parse(text, source_name.string());
        } catch (toml::parse_error const& e) {
            // toml++ quotes the offending text in some descriptions; keep only the position and a
            // generic reason so a secret can never leak through a parse error.
            return config_error{errors.format(e.source(), "not valid TOML")};
        }
        return read_document(root, errors);
    } catch (detail::load_failure& f) {
        return config_error{std::move(f.message)};
    } catch (std::exception const& e) {
        return config_error{source_name.string() + ": " + e.what()};
    }
}

boost::system::result<credentials, config_error>
load_credentials_file(std::filesystem::path const& path)
{
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return config_error{path.string() + ": cannot read credentials file: " + std::strerror(errno)};
    if (!S_ISREG(st.st_mode))
        return config_error{path.string() + ": credentials file is not a regular file"};
    if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return config_error{path.string() + ": credentials file has mode " + mode +
            ", readable or writable by group or others; it holds API secrets: chmod 600 it (owner: the daemon's "
            "user)"};
    }
    auto text = detail::read_file(path, max_file_bytes);
    if (!text)
        return config_error{path.string() + ": cannot read credentials file: " + text.error()};
    return load_credentials_string(*text, path);
}

} // namespace tradepush::config
