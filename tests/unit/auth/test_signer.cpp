#include "test_signer.hpp"

#include "common/base64.hpp"

#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdexcept>

namespace tradepush::auth::test {

namespace {

[[noreturn]] void
openssl_failure(char const* what)
{
    throw std::runtime_error(std::string(what) + ": " + detail::drain_openssl_errors());
}

std::string
bio_to_string(BIO* bio)
{
    char* data = nullptr;
    long const len = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(len));
}

std::string
digest_sign(EVP_PKEY* key, std::string_view input)
{
    detail::md_ctx_ptr ctx(EVP_MD_CTX_new());
    std::size_t len = 0;
    if(!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
       EVP_DigestSign(ctx.get(), nullptr, &len,
                      reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
        openssl_failure("EVP_DigestSign (size)");
    std::string sig(len, '\0');
    if(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                      reinterpret_cast<unsigned char const*>(input.data()), input.size()) != 1)
        openssl_failure("EVP_DigestSign");
    sig.resize(len);
    return sig;
}

} // namespace

detail::pkey_ptr
generate_rsa(unsigned bits)
{
    detail::pkey_ptr key(
        EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
    if(!key)
        openssl_failure("RSA keygen");
    return key;
}

detail::pkey_ptr
generate_ec(char const* curve)
{
    detail::pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
    if(!key)
        openssl_failure("EC keygen");
    return key;
}

EVP_PKEY*
shared_rsa_key()
{
    static detail::pkey_ptr const key = generate_rsa(2048);
    return key.get();
}

EVP_PKEY*
shared_ec_key()
{
    static detail::pkey_ptr const key = generate_ec("P-256");
    return key.get();
}

std::string
public_pem(EVP_PKEY* key)
{
    detail::bio_ptr bio(BIO_new(BIO_s_mem()));
    if(!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1)
        openssl_failure("PEM_write_bio_PUBKEY");
    return bio_to_string(bio.get());
}

std::string
private_pem(EVP_PKEY* key)
{
    detail::bio_ptr bio(BIO_new(BIO_s_mem()));
    if(!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        openssl_failure("PEM_write_bio_PrivateKey");
    return bio_to_string(bio.get());
}

std::string
self_signed_cert_pem(EVP_PKEY* key)
{
    detail::x509_ptr cert(X509_new());
    if(!cert)
        openssl_failure("X509_new");
    X509_NAME* name = X509_get_subject_name(cert.get());
    if(X509_set_version(cert.get(), 2) != 1 ||
       ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) != 1 ||
       !X509_gmtime_adj(X509_getm_notBefore(cert.get()), 0) ||
       !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600) ||
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                  reinterpret_cast<unsigned char const*>("tradepush test key"), -1,
                                  -1, 0) != 1 ||
       X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key) != 1 ||
       X509_sign(cert.get(), key, EVP_sha256()) <= 0)
        openssl_failure("self-signed certificate");
    detail::bio_ptr bio(BIO_new(BIO_s_mem()));
    if(!bio || PEM_write_bio_X509(bio.get(), cert.get()) != 1)
        openssl_failure("PEM_write_bio_X509");
    return bio_to_string(bio.get());
}

std::string
hs256(std::string_view secret, std::string_view input)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if(!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
             reinterpret_cast<unsigned char const*>(input.data()), input.size(), mac, &len))
        openssl_failure("HMAC");
    return std::string(reinterpret_cast<char const*>(mac), len);
}

std::string
rs256(EVP_PKEY* key, std::string_view input)
{
    return digest_sign(key, input);
}

std::string
es256_der(EVP_PKEY* key, std::string_view input)
{
    return digest_sign(key, input);
}

std::string
es256(EVP_PKEY* key, std::string_view input)
{
    // OpenSSL emits DER ECDSA-Sig-Value; JWS (RFC 7518 §3.4) wants R and S as fixed 32-byte
    // big-endian.
    std::string const der = es256_der(key, input);
    auto const* p = reinterpret_cast<unsigned char const*>(der.data());
    detail::ecdsa_sig_ptr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if(!sig)
        openssl_failure("d2i_ECDSA_SIG");
    std::string raw(64, '\0');
    if(BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()),
                    32) != 32 ||
       BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32,
                    32) != 32)
        openssl_failure("BN_bn2binpad");
    return raw;
}

signer
hs256_signer(std::string secret)
{
    return [secret = std::move(secret)](std::string_view input) { return hs256(secret, input); };
}

signer
rs256_signer(EVP_PKEY* key)
{
    return [key](std::string_view input) { return rs256(key, input); };
}

signer
es256_signer(EVP_PKEY* key)
{
    return [key](std::string_view input) { return es256(key, input); };
}

std::string
make_token(std::string_view header_json, std::string_view payload_json, signer const& sign)
{
    std::string input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
    std::string const sig = sign(input);
    return input + "." + base64url_encode(sig);
}

std::string
make_token_with_signature(std::string_view header_json, std::string_view payload_json,
                          std::string_view raw_signature)
{
    return base64url_encode(header_json) + "." + base64url_encode(payload_json) + "." +
           base64url_encode(raw_signature);
}

segments
split(std::string_view token)
{
    auto const a = token.find('.');
    auto const b = token.find('.', a + 1);
    if(a == std::string_view::npos || b == std::string_view::npos)
        throw std::invalid_argument("token needs three segments");
    return {std::string(token.substr(0, a)), std::string(token.substr(a + 1, b - a - 1)),
            std::string(token.substr(b + 1))};
}

} // namespace tradepush::auth::test
