#pragma once
// RAII owners for the OpenSSL objects the auth module uses, so no early return can leak one.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace tradepush::auth::detail {

/// Calls the matching OpenSSL free function; one specialization per owned type.
template<class T, void (*Free)(T*)>
struct openssl_deleter {
    /// Frees `p` (OpenSSL free functions accept nullptr).
    void
    operator()(T* p) const noexcept
    {
        Free(p);
    }
};

/// Owns an EVP_PKEY (a parsed public key). Shared read-only across threads after parsing.
using pkey_ptr = std::unique_ptr<EVP_PKEY, openssl_deleter<EVP_PKEY, EVP_PKEY_free>>;
/// Owns an EVP_MD_CTX; one per verification, never shared.
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, openssl_deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
/// Owns an X509 certificate.
using x509_ptr = std::unique_ptr<X509, openssl_deleter<X509, X509_free>>;
/// Owns a BIGNUM.
using bignum_ptr = std::unique_ptr<BIGNUM, openssl_deleter<BIGNUM, BN_free>>;
/// Owns an ECDSA_SIG.
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, openssl_deleter<ECDSA_SIG, ECDSA_SIG_free>>;

/// Frees a BIO; BIO_free returns int, so it needs a wrapper to fit openssl_deleter.
inline void
bio_free(BIO* b) noexcept
{
    BIO_free(b);
}
/// Owns a BIO.
using bio_ptr = std::unique_ptr<BIO, openssl_deleter<BIO, bio_free>>;

/// Frees memory OpenSSL allocated for us (OPENSSL_free is a macro, so it needs a wrapper).
inline void
openssl_free_bytes(unsigned char* p) noexcept
{
    OPENSSL_free(p);
}
/// Owns a buffer allocated by OpenSSL (e.g. the output of i2d_*).
using openssl_bytes_ptr =
    std::unique_ptr<unsigned char, openssl_deleter<unsigned char, openssl_free_bytes>>;

/// Discards this thread's OpenSSL error queue; the noexcept variant for hot paths.
void clear_openssl_errors() noexcept;

/// Drains this thread's OpenSSL error queue into one line ("" when empty). Always call it after a
/// failed OpenSSL call: errors left queued would be misattributed to whatever code runs next here.
std::string drain_openssl_errors();

} // namespace tradepush::auth::detail
