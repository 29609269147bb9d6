#include "auth/jwt_verifier.hpp"

#include "common/base64.hpp"
#include "auth/key_set.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cmath>
#include <limits>
#include <new>
#include <utility>

namespace tradepush::auth {

namespace json = boost::json;

namespace {

using claims_result = boost::system::result<claims, jwt_error>;

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

// a + b for b >= 0 without signed overflow (UB): times near the int64 limits saturate.
std::int64_t
saturating_add(std::int64_t a, std::int64_t b) noexcept
{
    return a > int64_max - b ? int64_max : a + b;
}

bool
iequals_ascii(std::string_view a, std::string_view b) noexcept
{
    if(a.size() != b.size())
        return false;
    for(std::size_t i = 0; i < a.size(); ++i) {
        auto lower = [](char c) {
            return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        };
        if(lower(a[i]) != lower(b[i]))
            return false;
    }
    return true;
}

// Decodes one base64url segment and parses it as a JSON object, the form both header and payload
// must take.
std::optional<json::object>
decode_json_object(std::string_view segment)
{
    auto bytes = base64url_decode(segment);
    if(!bytes || bytes->empty())
        return std::nullopt;
    // Default options: strict RFC 8259 (no comments, no trailing commas, valid UTF-8), depth <= 32.
    // Duplicate member names: the last one wins, which RFC 7515 §4 permits.
    boost::system::error_code ec;
    json::value v = json::parse(*bytes, ec);
    if(ec || !v.is_object())
        return std::nullopt;
    return std::move(v.as_object());
}

enum class rounding { down, up };

// A NumericDate (RFC 7519 §2): a JSON number of seconds. Fractions are rounded towards the safe
// side (exp down, nbf up); values outside int64 are refused rather than wrapped.
std::optional<std::int64_t>
numeric_date(json::value const& v, rounding r) noexcept
{
    if(v.is_int64())
        return v.get_int64();
    if(v.is_uint64()) {
        if(v.get_uint64() > static_cast<std::uint64_t>(int64_max))
            return std::nullopt;
        return static_cast<std::int64_t>(v.get_uint64());
    }
    if(v.is_double()) {
        double const d =
            r == rounding::down ? std::floor(v.get_double()) : std::ceil(v.get_double());
        // 2^63 is exactly representable; every finite double below it (and >= -2^63) fits int64.
        if(!std::isfinite(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
            return std::nullopt;
        return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

// Reads an optional NumericDate claim. Absent is fine; present but not a usable number is
// malformed.
bool
read_date(json::object const& payload, std::string_view name, rounding r,
          std::optional<std::int64_t>& out)
{
    auto const* v = payload.if_contains(name);
    if(!v)
        return true;
    out = numeric_date(*v, r);
    return out.has_value();
}

// `sub` is the user id the rest of the daemon routes and logs by, so besides being present it must
// be short and free of control characters (no log injection, no surprises as a map key).
bool
valid_subject(json::value const* v)
{
    if(!v || !v->is_string())
        return false;
    auto const& s = v->get_string();
    if(s.empty() || s.size() > jwt_verifier::max_subject_size)
        return false;
    for(char const c : s) {
        auto const u = static_cast<unsigned char>(c);
        if(u < 0x20 || u == 0x7F)
            return false;
    }
    return true;
}

// RFC 7519 §4.1.3: `aud` is one string or an array of strings.
bool
audience_matches(json::value const* aud, std::string_view expected)
{
    if(!aud)
        return false;
    if(aud->is_string())
        return aud->get_string() == expected;
    if(aud->is_array()) {
        for(auto const& item : aud->get_array())
            if(item.is_string() && item.get_string() == expected)
                return true;
    }
    return false;
}

} // namespace

//------------------------------------------------------------------------------

struct jwt_verifier::state {
    key_set keys;
    std::optional<std::string> issuer;
    std::optional<std::string> audience;
    std::int64_t leeway;
    bool require_exp;
    std::int64_t max_lifetime;
};

jwt_verifier::jwt_verifier(std::shared_ptr<state const> s) noexcept
    : state_(std::move(s))
{
}

std::chrono::seconds
jwt_verifier::leeway() const noexcept
{
    return std::chrono::seconds(state_->leeway);
}

boost::system::result<jwt_verifier, config_error>
jwt_verifier::create(verifier_options opts) noexcept
{
    // Startup code, but the contract is "throws nothing": allocation failures become an error too.
    try {
        if(opts.leeway.count() < 0)
            return config_error{"auth: leeway must not be negative"};
        if(opts.max_lifetime.count() < 0)
            return config_error{"auth: max_lifetime must not be negative"};
        if(opts.issuer && opts.issuer->empty())
            return config_error{"auth: issuer is set but empty"};
        if(opts.audience && opts.audience->empty())
            return config_error{"auth: audience is set but empty"};

        auto keys = key_set::create(opts.keys);
        if(!keys)
            return keys.error();
        auto s =
            std::make_shared<state const>(state{std::move(*keys), std::move(opts.issuer),
                                                std::move(opts.audience), opts.leeway.count(),
                                                opts.require_exp, opts.max_lifetime.count()});
        return jwt_verifier(std::move(s));
    } catch(std::exception const& e) {
        return config_error{std::string("auth: ") + e.what()};
    } catch(...) {
        return config_error{"auth: unexpected failure while parsing keys"};
    }
}

boost::system::result<claims, jwt_error>
jwt_verifier::verify(std::string_view token) const noexcept
{
    auto const now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return verify(token, static_cast<std::int64_t>(now));
}

boost::system::result<claims, jwt_error>
jwt_verifier::verify(std::string_view token, std::int64_t now) const noexcept
{
    // Only allocation can throw in there; a refusal is the safe answer to any of it.
    try {
        return verify_impl(token, now);
    } catch(...) {
        return jwt_error::malformed;
    }
}

claims_result
jwt_verifier::verify_impl(std::string_view token, std::int64_t now) const
{
    if(token.empty())
        return jwt_error::no_token;
    if(token.size() > max_token_size)
        return jwt_error::malformed;

    // Compact serialization: exactly three segments. (Five would be JWE, which we do not accept.)
    auto const dot1 = token.find('.');
    if(dot1 == std::string_view::npos)
        return jwt_error::malformed;
    auto const dot2 = token.find('.', dot1 + 1);
    if(dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return jwt_error::malformed;
    auto const header_b64 = token.substr(0, dot1);
    auto const payload_b64 = token.substr(dot1 + 1, dot2 - dot1 - 1);
    auto const signature_b64 = token.substr(dot2 + 1);

    // Header first: it decides the algorithm and the key.
    auto header = decode_json_object(header_b64);
    if(!header)
        return jwt_error::malformed;

    // The algorithm comes from a closed list; "none" in any spelling, or anything else, stops here,
    // before a key is looked up or a signature is decoded.
    auto const* alg_value = header->if_contains("alg");
    if(!alg_value || !alg_value->is_string())
        return jwt_error::malformed;
    auto const alg = parse_alg(alg_value->get_string());
    if(!alg)
        return jwt_error::unsupported_alg;

    if(auto const* typ = header->if_contains("typ")) {
        if(!typ->is_string() || !iequals_ascii(typ->get_string(), "JWT"))
            return jwt_error::malformed;
    }
    // RFC 7515 §4.1.11: extensions listed in "crit" MUST be understood; we understand none.
    if(header->contains("crit"))
        return jwt_error::malformed;

    std::optional<std::string_view> kid;
    if(auto const* kid_value = header->if_contains("kid")) {
        if(!kid_value->is_string() || kid_value->get_string().empty())
            return jwt_error::malformed;
        kid = kid_value->get_string();
    }

    // Undecodable segments are malformed (a client bug), not a bad signature (a forgery hint).
    auto const signature = base64url_decode(signature_b64);
    if(!signature || !base64url_decode(payload_b64))
        return jwt_error::malformed;

    // The signature covers the two encoded segments as sent (RFC 7515 §5.2 step 8).
    auto const signing_input = token.substr(0, dot2);
    if(auto verified = state_->keys.verify(*alg, kid, signing_input, *signature); !verified)
        return verified.error();

    // Only now, with the issuer's signature checked, is the payload worth interpreting.
    auto payload = decode_json_object(payload_b64);
    if(!payload)
        return jwt_error::malformed;

    claims out;
    if(!read_date(*payload, "exp", rounding::down, out.exp) ||
       !read_date(*payload, "nbf", rounding::up, out.nbf) ||
       !read_date(*payload, "iat", rounding::down, out.iat))
        return jwt_error::malformed;

    // RFC 7519 §4.1.4/§4.1.5 with leeway for clock skew: valid while now < exp + leeway and now +
    // leeway >= nbf.
    if(out.exp && now >= saturating_add(*out.exp, state_->leeway))
        return jwt_error::token_expired;
    if(out.nbf && saturating_add(now, state_->leeway) < *out.nbf)
        return jwt_error::token_not_yet_valid;
    // A token "issued" in the future was minted by a broken clock or to outlive its stated lifetime.
    if(out.iat && saturating_add(now, state_->leeway) < *out.iat)
        return jwt_error::issued_in_future;
    if(!out.exp && state_->require_exp)
        return jwt_error::missing_exp;
    if(out.exp && state_->max_lifetime > 0) {
        // Measured from iat when present (the lifetime the issuer chose), else from now; the
        // operands are bounded (iat <= now + leeway here), so compare without subtracting.
        auto const from = out.iat ? *out.iat : now;
        if(*out.exp > saturating_add(from, state_->max_lifetime))
            return jwt_error::lifetime_too_long;
    }

    if(state_->issuer) {
        auto const* iss = payload->if_contains("iss");
        if(!iss || !iss->is_string() || iss->get_string() != *state_->issuer)
            return jwt_error::bad_issuer;
    }
    if(state_->audience && !audience_matches(payload->if_contains("aud"), *state_->audience))
        return jwt_error::bad_audience;

    auto const* sub = payload->if_contains("sub");
    if(!valid_subject(sub))
        return jwt_error::missing_subject;
    out.subject = sub->get_string();
    out.all = std::move(*payload);
    return out;
}

} // namespace tradepush::auth
