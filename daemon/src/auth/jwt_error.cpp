#include "auth/jwt_error.hpp"

#include <boost/system/system_error.hpp>
#include <boost/throw_exception.hpp>

#include <string>

namespace tradepush::auth {

std::string_view
to_code(jwt_error e) noexcept
{
    switch(e) {
    case jwt_error::malformed: return "malformed_token";
    case jwt_error::unsupported_alg: return "unsupported_alg";
    case jwt_error::bad_signature: return "bad_signature";
    case jwt_error::token_expired: return "token_expired";
    case jwt_error::token_not_yet_valid: return "token_not_yet_valid";
    case jwt_error::unknown_kid: return "unknown_kid";
    case jwt_error::bad_issuer: return "bad_issuer";
    case jwt_error::bad_audience: return "bad_audience";
    case jwt_error::missing_subject: return "missing_subject";
    case jwt_error::no_token: return "no_token";
    case jwt_error::missing_exp: return "missing_exp";
    case jwt_error::lifetime_too_long: return "token_lifetime_too_long";
    case jwt_error::issued_in_future: return "token_issued_in_future";
    }
    // Only reachable through a cast of an out-of-range integer; refuse rather than crash.
    return "malformed_token";
}

namespace {

class jwt_category_impl final : public boost::system::error_category {
public:
    // A fixed id makes equality work across shared-library copies of the category object.
    jwt_category_impl() noexcept
        : boost::system::error_category(0x7a1e'd0c5'4a57'0001ULL)
    {
    }

    char const*
    name() const noexcept override
    {
        return "tradepush.jwt";
    }

    std::string
    message(int ev) const override
    {
        return std::string(to_code(static_cast<jwt_error>(ev)));
    }

    char const*
    message(int ev, char* buffer, std::size_t len) const noexcept override
    {
        // The codes are string literals, hence NUL-terminated; no copy needed.
        (void)buffer;
        (void)len;
        return to_code(static_cast<jwt_error>(ev)).data();
    }
};

} // namespace

boost::system::error_category const&
jwt_category() noexcept
{
    static jwt_category_impl const instance;
    return instance;
}

boost::system::error_code
make_error_code(jwt_error e) noexcept
{
    return {static_cast<int>(e), jwt_category()};
}

void
throw_exception_from_error(jwt_error e, boost::source_location const& loc)
{
    boost::throw_with_location(boost::system::system_error(make_error_code(e)), loc);
}

} // namespace tradepush::auth
