// The JWT verifier with HS256, RS256 and ES256 keys configured. Half of the inputs are raw tokens;
// the other half are a header and a payload (JSON-ish text from the fuzzer) that the harness signs
// with the HS256 key, so the claim checks behind the signature are reached too.
#include "auth/jwt_verifier.hpp"

#include "common/base64.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cstdlib>
#include <memory>

namespace {

std::string const secret = "0123456789abcdef0123456789abcdef-fuzz-only";

std::string
public_pem(EVP_PKEY* key)
{
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key);
    char* p = nullptr;
    auto const n = BIO_get_mem_data(bio, &p);
    std::string pem(p, static_cast<std::size_t>(n));
    BIO_free(bio);
    return pem;
}

tradepush::auth::jwt_verifier const&
verifier()
{
    static auto const v = [] {
        using namespace tradepush::auth;
        verifier_options o;
        o.keys.push_back({"", jwt_alg::hs256, secret});
        EVP_PKEY* rsa = EVP_RSA_gen(2048);
        EVP_PKEY* ec = EVP_EC_gen("P-256");
        o.keys.push_back({"r", jwt_alg::rs256, public_pem(rsa)});
        o.keys.push_back({"e", jwt_alg::es256, public_pem(ec)});
        EVP_PKEY_free(rsa);
        EVP_PKEY_free(ec);
        o.require_exp = true;
        o.max_lifetime = std::chrono::hours(24);
        o.issuer = "https://issuer.example";
        o.audience = "tradepush";
        auto r = jwt_verifier::create(std::move(o));
        if(!r)
            std::abort();
        return std::move(*r);
    }();
    return v;
}

std::string
hs256_sign(std::string const& input)
{
    unsigned char mac[32];
    unsigned int len = sizeof mac;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
        reinterpret_cast<unsigned char const*>(input.data()), input.size(), mac, &len);
    return tradepush::base64url_encode(std::string_view(reinterpret_cast<char const*>(mac), len));
}

} // namespace

extern "C" int
LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    auto const& v = verifier();
    auto const now = in.ConsumeIntegral<std::int64_t>();
    if(in.ConsumeBool()) {
        auto const token = in.ConsumeRemainingBytesAsString();
        (void)v.verify(token, now);
        return 0;
    }
    auto const header = in.ConsumeRandomLengthString(512);
    auto const payload = in.ConsumeRemainingBytesAsString();
    auto const input = tradepush::base64url_encode(header) + "." + tradepush::base64url_encode(payload);
    auto const r = v.verify(input + "." + hs256_sign(input), now);
    if(r && (r->subject.empty() || r->subject.size() > tradepush::auth::jwt_verifier::max_subject_size || !r->exp))
        std::abort();
    return 0;
}
