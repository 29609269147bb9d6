#include "admin/command.hpp"

#include <stdexcept>

namespace tradepush::admin {

void
throw_exception_from_error(command_error const& e, boost::source_location const&)
{
    throw std::runtime_error(e.message);
}

responder::responder(std::function<void(command_result)> deliver)
    : state_(std::make_shared<state>())
{
    state_->deliver = std::move(deliver);
}

void
responder::operator()(command_result r) const
{
    // exchange() makes "first call wins" hold across threads: a handler racing its own timer
    // against a completion must not answer twice.
    if(state_->used.exchange(true))
        return;
    if(state_->deliver)
        state_->deliver(std::move(r));
}

void
responder::ok(boost::json::value result) const
{
    (*this)(command_result(boost::system::in_place_value, std::move(result)));
}

void
responder::fail(std::string code, std::string message) const
{
    (*this)(command_result(boost::system::in_place_error, command_error{std::move(code), std::move(message)}));
}

} // namespace tradepush::admin
