#include "auth/verification_key.hpp"

#include <openssl/ecdsa.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <climits>
#include <cstring>
#include <utility>

namespace tradepush::auth {

namespace {

// RFC 7518 §3.2: an HS256 key MUST be at least as long as the hash output.
constexpr std::size_t min_hmac_secret_size = 32;
// RFC 7518 §3.3: RS256 keys MUST be 2048 bits or larger.
constexpr int min_rsa_bits = 2048;
// JWS ES256 signatures are R and S, each left-padded to the 32-byte P-256 order size (RFC 7518
// §3.4).
constexpr std::size_t es256_half_size = 32;

config_error
fail(std::string message)
{
    return config_error{std::move(message)};
}

// Reads the first PEM block of `pem` and returns its public key. Only "PUBLIC KEY" (SPKI) and
// "CERTIFICATE" are accepted: private keys do not belong in the daemon's configuration, and
// guessing among more formats would make a wrong file harder to notice.
boost::system::result<detail::pkey_ptr, config_error>
parse_public_pem(std::string_view pem)
{
    if(pem.size() > INT_MAX)
        return fail("PEM text is too large");

    detail::bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if(!bio) {
        detail::drain_openssl_errors();
        return fail("out of memory reading PEM");
    }

    char* raw_name = nullptr;
    char* raw_header = nullptr;
    unsigned char* raw_data = nullptr;
    long len = 0;
    int const ok = PEM_read_bio(bio.get(), &raw_name, &raw_header, &raw_data, &len);
    // Take ownership at once so every path below frees them.
    detail::openssl_bytes_ptr name(reinterpret_cast<unsigned char*>(raw_name));
    detail::openssl_bytes_ptr header(reinterpret_cast<unsigned char*>(raw_header));
    detail::openssl_bytes_ptr data(raw_data);
    if(ok != 1) {
        detail::drain_openssl_errors();
        return fail(
            "no PEM block found (expected -----BEGIN PUBLIC KEY----- or -----BEGIN CERTIFICATE-----)");
    }

    std::string const label(raw_name);
    unsigned char const* p = data.get();
    if(label == "PUBLIC KEY") {
        detail::pkey_ptr key(d2i_PUBKEY(nullptr, &p, len));
        // Trailing bytes inside the block mean it is not the SPKI we think it is.
        if(!key || p != data.get() + len) {
            auto const why = detail::drain_openssl_errors();
            return fail("PUBLIC KEY PEM is not a valid SubjectPublicKeyInfo" +
                        (why.empty() ? "" : " (" + why + ")"));
        }
        return key;
    }
    if(label == "CERTIFICATE") {
        detail::x509_ptr cert(d2i_X509(nullptr, &p, len));
        if(!cert || p != data.get() + len) {
            auto const why = detail::drain_openssl_errors();
            return fail("CERTIFICATE PEM is not a valid X.509 certificate" +
                        (why.empty() ? "" : " (" + why + ")"));
        }
        detail::pkey_ptr key(X509_get_pubkey(cert.get()));
        if(!key) {
            auto const why = detail::drain_openssl_errors();
            return fail("cannot read the certificate's public key" +
                        (why.empty() ? "" : " (" + why + ")"));
        }
        return key;
    }
    return fail("PEM block \"" + label +
                "\" is not supported (use a PUBLIC KEY or CERTIFICATE PEM)");
}

} // namespace

//------------------------------------------------------------------------------

verification_key::verification_key(std::string kid, jwt_alg alg, std::string secret,
                                   detail::pkey_ptr pkey) noexcept
    : kid_(std::move(kid))
    , alg_(alg)
    , secret_(std::move(secret))
    , pkey_(std::move(pkey))
{
}

verification_key::~verification_key()
{
    // Keep the shared secret out of freed heap memory (core dumps, later allocations).
    if(!secret_.empty())
        OPENSSL_cleanse(secret_.data(), secret_.size());
}

boost::system::result<verification_key, config_error>
verification_key::create(key_config const& cfg)
{
    switch(cfg.alg) {
    case jwt_alg::hs256: {
        if(cfg.material.size() < min_hmac_secret_size)
            return fail("HS256 secret has " + std::to_string(cfg.material.size()) +
                        " bytes, at least " + std::to_string(min_hmac_secret_size) + " required");
        // The classic algorithm-confusion mistake is feeding a public key to HMAC; a PEM here is
        // almost certainly that, so refuse it rather than let anyone who has the public key mint
        // tokens.
        if(cfg.material.find("-----BEGIN") != std::string::npos)
            return fail("HS256 secret looks like a PEM key; HS256 needs the shared secret bytes, "
                        "use RS256/ES256 for a public key");
        return verification_key(cfg.kid, cfg.alg, cfg.material, nullptr);
    }

    case jwt_alg::rs256: {
        auto key = parse_public_pem(cfg.material);
        if(!key)
            return key.error();
        if(!EVP_PKEY_is_a(key->get(), "RSA"))
            return fail("RS256 needs an RSA public key, the PEM holds another key type");
        int const bits = EVP_PKEY_get_bits(key->get());
        if(bits < min_rsa_bits)
            return fail("RSA key has " + std::to_string(bits) + " bits, at least " +
                        std::to_string(min_rsa_bits) + " required");
        return verification_key(cfg.kid, cfg.alg, {}, std::move(*key));
    }

    case jwt_alg::es256: {
        auto key = parse_public_pem(cfg.material);
        if(!key)
            return key.error();
        if(!EVP_PKEY_is_a(key->get(), "EC"))
            return fail("ES256 needs an EC public key, the PEM holds another key type");
        char group[64] = {};
        std::size_t group_len = 0;
        if(EVP_PKEY_get_group_name(key->get(), group, sizeof(group), &group_len) != 1) {
            detail::drain_openssl_errors();
            return fail("cannot read the EC key's curve");
        }
        // OpenSSL names P-256 "prime256v1" (its X9.62 name); anything else breaks the 64-byte R||S
        // format.
        if(std::string_view(group, group_len) != "prime256v1")
            return fail("ES256 needs a P-256 key, this key is on " + std::string(group, group_len));
        return verification_key(cfg.kid, cfg.alg, {}, std::move(*key));
    }
    }
    return fail("unknown algorithm");
}

bool
verification_key::verify(std::string_view signing_input, std::string_view signature) const noexcept
{
    switch(alg_) {
    case jwt_alg::hs256: return verify_hmac(signing_input, signature);

    case jwt_alg::rs256:
        // PKCS#1 v1.5 signatures are exactly the modulus size; refuse others before OpenSSL does.
        if(signature.size() != static_cast<std::size_t>(EVP_PKEY_get_size(pkey_.get())))
            return false;
        return verify_pkey(signing_input, signature);

    case jwt_alg::es256: {
        // JWS carries R||S; OpenSSL wants a DER ECDSA-Sig-Value, so re-encode.
        if(signature.size() != 2 * es256_half_size)
            return false;
        auto const* bytes = reinterpret_cast<unsigned char const*>(signature.data());
        detail::bignum_ptr r(BN_bin2bn(bytes, es256_half_size, nullptr));
        detail::bignum_ptr s(BN_bin2bn(bytes + es256_half_size, es256_half_size, nullptr));
        detail::ecdsa_sig_ptr sig(ECDSA_SIG_new());
        if(!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) {
            detail::clear_openssl_errors();
            return false;
        }
        // ECDSA_SIG_set0 took ownership of r and s.
        (void)r.release();
        (void)s.release();

        unsigned char* raw_der = nullptr;
        int const der_len = i2d_ECDSA_SIG(sig.get(), &raw_der);
        detail::openssl_bytes_ptr der(raw_der);
        if(der_len <= 0) {
            detail::clear_openssl_errors();
            return false;
        }
        return verify_pkey(signing_input, std::string_view(reinterpret_cast<char const*>(der.get()),
                                                           static_cast<std::size_t>(der_len)));
    }
    }
    return false;
}

bool
verification_key::verify_hmac(std::string_view signing_input,
                              std::string_view signature) const noexcept
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if(signature.size() != 32)
        return false;
    if(!HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
             reinterpret_cast<unsigned char const*>(signing_input.data()), signing_input.size(),
             mac, &mac_len) ||
       mac_len != 32) {
        detail::clear_openssl_errors();
        return false;
    }
    // Constant time, so response timing does not reveal how many leading bytes of a forgery
    // matched.
    bool const ok = CRYPTO_memcmp(mac, signature.data(), mac_len) == 0;
    OPENSSL_cleanse(mac, sizeof(mac));
    return ok;
}

bool
verification_key::verify_pkey(std::string_view signing_input,
                              std::string_view der_signature) const noexcept
{
    // A fresh context per call: EVP_MD_CTX is mutable state, the EVP_PKEY is only read, which is
    // what makes concurrent verify() calls on one key safe.
    detail::md_ctx_ptr ctx(EVP_MD_CTX_new());
    bool const ok =
        ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) == 1 &&
        EVP_DigestVerify(ctx.get(), reinterpret_cast<unsigned char const*>(der_signature.data()),
                         der_signature.size(),
                         reinterpret_cast<unsigned char const*>(signing_input.data()),
                         signing_input.size()) == 1;
    if(!ok)
        detail::clear_openssl_errors();
    return ok;
}

} // namespace tradepush::auth
