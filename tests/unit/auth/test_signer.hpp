#pragma once
// Test-only token minting: key generation and HS256/RS256/ES256 signing with OpenSSL, producing the
// compact tokens the verifier is tested against. Failures throw (Catch2 reports them); never link
// this into the daemon.

#include "auth/openssl_handles.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace tradepush::auth::test {

/// Signs a JWS signing input and returns the raw signature bytes (not yet base64url).
using signer = std::function<std::string(std::string_view signing_input)>;

/// A fresh RSA key pair of `bits` bits.
detail::pkey_ptr generate_rsa(unsigned bits);

/// A fresh EC key pair on `curve` ("P-256", "P-384", ...).
detail::pkey_ptr generate_ec(char const* curve);

/// One RSA-2048 key pair shared by the whole test run (key generation is slow).
EVP_PKEY* shared_rsa_key();

/// One P-256 key pair shared by the whole test run.
EVP_PKEY* shared_ec_key();

/// The public half as a "PUBLIC KEY" (SPKI) PEM.
std::string public_pem(EVP_PKEY* key);

/// The private half as a PKCS#8 "PRIVATE KEY" PEM (to test that configuration refuses it).
std::string private_pem(EVP_PKEY* key);

/// A self-signed X.509 "CERTIFICATE" PEM carrying the public half of `key`.
std::string self_signed_cert_pem(EVP_PKEY* key);

/// HMAC-SHA256 of `input` under `secret`.
std::string hs256(std::string_view secret, std::string_view input);

/// RSASSA-PKCS1-v1_5 SHA-256 signature of `input`.
std::string rs256(EVP_PKEY* key, std::string_view input);

/// ECDSA P-256 SHA-256 signature of `input` as DER (what OpenSSL produces).
std::string es256_der(EVP_PKEY* key, std::string_view input);

/// ECDSA P-256 SHA-256 signature of `input` as JWS wants it: raw R||S, 32 bytes each.
std::string es256(EVP_PKEY* key, std::string_view input);

/// A signer for `hs256(secret, ...)`.
signer hs256_signer(std::string secret);
/// A signer for `rs256(key, ...)`; `key` must outlive it.
signer rs256_signer(EVP_PKEY* key);
/// A signer for `es256(key, ...)`; `key` must outlive it.
signer es256_signer(EVP_PKEY* key);

/// `b64(header).b64(payload).b64(sign(b64(header).b64(payload)))`.
std::string make_token(std::string_view header_json, std::string_view payload_json,
                       signer const& sign);

/// `b64(header).b64(payload).b64(raw_signature)`: for hand-made signatures (none, wrong length,
/// ...).
std::string make_token_with_signature(std::string_view header_json, std::string_view payload_json,
                                      std::string_view raw_signature);

/// The three dot-separated segments of a token (asserting there are three).
struct segments {
    std::string header;    ///< base64url header
    std::string payload;   ///< base64url payload
    std::string signature; ///< base64url signature
};
/// Splits `token` at its dots.
segments split(std::string_view token);

} // namespace tradepush::auth::test
