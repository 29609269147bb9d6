#include "auth/config_error.hpp"

#include <boost/throw_exception.hpp>

#include <stdexcept>

namespace tradepush::auth {

void
throw_exception_from_error(config_error const& e, boost::source_location const& loc)
{
    boost::throw_with_location(std::runtime_error(e.message), loc);
}

} // namespace tradepush::auth
