#include "auth/key_set.hpp"

#include <set>
#include <string>

namespace tradepush::auth {

boost::system::result<key_set, config_error>
key_set::create(std::vector<key_config> const& keys)
{
    if(keys.empty())
        return config_error{"auth: no verification keys configured"};

    std::vector<verification_key> parsed;
    parsed.reserve(keys.size());
    std::set<std::string_view> kids;
    for(std::size_t i = 0; i < keys.size(); ++i) {
        auto const& cfg = keys[i];
        std::string const where = "auth key #" + std::to_string(i + 1) + " (kid \"" + cfg.kid +
                                  "\", " + std::string(to_string(cfg.alg)) + "): ";

        // A kid must pick exactly one key, otherwise which key a token selects is ambiguous.
        if(!cfg.kid.empty() && !kids.insert(cfg.kid).second)
            return config_error{where + "duplicate kid"};

        auto key = verification_key::create(cfg);
        if(!key)
            return config_error{where + key.error().message};
        parsed.push_back(std::move(*key));
    }
    return key_set(std::move(parsed));
}

boost::system::result<void, jwt_error>
key_set::verify(jwt_alg alg, std::optional<std::string_view> kid, std::string_view signing_input,
                std::string_view signature) const noexcept
{
    if(kid) {
        for(auto const& key : keys_) {
            if(key.kid() != *kid)
                continue;
            // The header chose this key; its configured alg decides, never the token's. A mismatch
            // is the algorithm-confusion attack (e.g. HS256 "signed" with an RS256 key's public
            // PEM).
            if(key.alg() != alg)
                return jwt_error::unknown_kid;
            if(!key.verify(signing_input, signature))
                return jwt_error::bad_signature;
            return {};
        }
        return jwt_error::unknown_kid;
    }

    // No kid: any key configured for this alg may have signed it (e.g. during a key rotation).
    bool any_candidate = false;
    for(auto const& key : keys_) {
        if(key.alg() != alg)
            continue;
        any_candidate = true;
        if(key.verify(signing_input, signature))
            return {};
    }
    return any_candidate ? jwt_error::bad_signature : jwt_error::unknown_kid;
}

} // namespace tradepush::auth
