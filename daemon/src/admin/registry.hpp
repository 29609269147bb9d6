#pragma once
// The admin commands by name, each with the level it needs.

#include "admin/command.hpp"

#include <boost/system/result.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tradepush::admin {

/// Commands by normalized name. Filled before the server starts, read-only afterwards (so the
/// admin thread reads it without a lock).
class command_registry {
public:
    /// Adds `c`. Refuses an empty or duplicate name or an empty handler, saying which.
    boost::system::result<void, std::string> add(command c);

    /// The command named `name` (already normalized), or nullptr.
    command const* find(std::string_view name) const;

    /// Every command a caller at level `l` may run, sorted by name.
    std::vector<command const*> available(level l) const;

private:
    std::map<std::string, command, std::less<>> commands_;
};

} // namespace tradepush::admin
