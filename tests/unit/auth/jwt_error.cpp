// Test that header file is self-contained.
#include "auth/jwt_error.hpp"

#include "auth/config_error.hpp"

#include <boost/system/result.hpp>
#include <boost/system/system_error.hpp>
#include <catch2/catch.hpp>

#include <stdexcept>

using namespace tradepush::auth;

TEST_CASE("jwt_error: wire codes are the contract strings", "[auth][jwt_error]")
{
    CHECK(to_code(jwt_error::malformed) == "malformed_token");
    CHECK(to_code(jwt_error::unsupported_alg) == "unsupported_alg");
    CHECK(to_code(jwt_error::bad_signature) == "bad_signature");
    CHECK(to_code(jwt_error::token_expired) == "token_expired");
    CHECK(to_code(jwt_error::token_not_yet_valid) == "token_not_yet_valid");
    CHECK(to_code(jwt_error::unknown_kid) == "unknown_kid");
    CHECK(to_code(jwt_error::bad_issuer) == "bad_issuer");
    CHECK(to_code(jwt_error::bad_audience) == "bad_audience");
    CHECK(to_code(jwt_error::missing_subject) == "missing_subject");
    CHECK(to_code(jwt_error::no_token) == "no_token");
}

TEST_CASE("jwt_error: converts to error_code", "[auth][jwt_error]")
{
    boost::system::error_code const ec = jwt_error::token_expired;
    CHECK(ec.failed());
    CHECK(ec.category().name() == std::string("tradepush.jwt"));
    CHECK(ec.message() == "token_expired");
    CHECK(ec == make_error_code(jwt_error::token_expired));
    CHECK(ec != make_error_code(jwt_error::bad_signature));
}

TEST_CASE("result<T, jwt_error>::value() and result<T, config_error>::value() throw",
          "[auth][jwt_error]")
{
    // Compiling these is the point: boost::system::result needs throw_exception_from_error via ADL.
    boost::system::result<int, jwt_error> const r = jwt_error::bad_issuer;
    CHECK_THROWS_AS(r.value(), boost::system::system_error);
    boost::system::result<int, config_error> const c = config_error{"nope"};
    CHECK_THROWS_WITH(c.value(), "nope");
    boost::system::result<int, jwt_error> const ok = 7;
    CHECK(ok.value() == 7);
}
