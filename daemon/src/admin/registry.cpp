#include "admin/registry.hpp"

#include "admin/protocol.hpp"

namespace tradepush::admin {

boost::system::result<void, std::string>
command_registry::add(command c)
{
    c.name = normalize_command(c.name);
    if(c.name.empty())
        return std::string("admin command: empty name");
    if(!c.handler)
        return "admin command '" + c.name + "': no handler";
    if(commands_.contains(c.name))
        return "admin command '" + c.name + "': registered twice";
    auto name = c.name;
    commands_.emplace(std::move(name), std::move(c));
    return {};
}

command const*
command_registry::find(std::string_view name) const
{
    auto it = commands_.find(name);
    return it == commands_.end() ? nullptr : &it->second;
}

std::vector<command const*>
command_registry::available(level l) const
{
    std::vector<command const*> out;
    for(auto const& [name, c] : commands_)
        if(c.min_level <= l)
            out.push_back(&c);
    return out;
}

} // namespace tradepush::admin
