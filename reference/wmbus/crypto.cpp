#include "crypto.hpp"

#include <memory>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace metercert::wmbus::crypto {

namespace {

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};

// One context per thread, re-initialised per call (no allocation in the steady state).
EVP_CIPHER_CTX* cipher_ctx() noexcept {
    thread_local std::unique_ptr<EVP_CIPHER_CTX, CtxFree> ctx{EVP_CIPHER_CTX_new()};
    return ctx.get();
}

bool run(const EVP_CIPHER* cipher, const Key& key, const std::uint8_t (&iv)[16], std::span<std::uint8_t> data,
         int encrypt) noexcept {
    EVP_CIPHER_CTX* ctx = cipher_ctx();
    if (!ctx || !cipher) return false;
    if (EVP_CipherInit_ex(ctx, cipher, nullptr, key.bytes.data(), iv, encrypt) != 1) return false;
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    int n = 0, m = 0;
    if (!data.empty() && EVP_CipherUpdate(ctx, data.data(), &n, data.data(), static_cast<int>(data.size())) != 1) return false;
    if (EVP_CipherFinal_ex(ctx, data.data() + n, &m) != 1) return false;
    return static_cast<std::size_t>(n + m) == data.size();
}

}  // namespace

bool aes_cbc(const Key& key, const std::uint8_t (&iv)[16], std::span<std::uint8_t> data, bool encrypt) noexcept {
    if (data.size() % 16 != 0) return false;
    return run(EVP_aes_128_cbc(), key, iv, data, encrypt ? 1 : 0);
}

bool aes_ctr(const Key& key, const std::uint8_t (&iv)[16], std::span<std::uint8_t> data) noexcept {
    return run(EVP_aes_128_ctr(), key, iv, data, 1);
}

bool cmac(const Key& key, std::span<const std::uint8_t> msg, std::uint8_t (&out)[16]) noexcept {
    struct MacFree {
        void operator()(EVP_MAC* m) const noexcept { EVP_MAC_free(m); }
    };
    struct MacCtxFree {
        void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
    };
    thread_local std::unique_ptr<EVP_MAC, MacFree> mac{EVP_MAC_fetch(nullptr, "CMAC", nullptr)};
    if (!mac) return false;
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx{EVP_MAC_CTX_new(mac.get())};
    if (!ctx) return false;
    char cipher_name[] = "AES-128-CBC";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher_name, 0), OSSL_PARAM_construct_end()};
    if (EVP_MAC_init(ctx.get(), key.bytes.data(), key.bytes.size(), params) != 1) return false;
    if (!msg.empty() && EVP_MAC_update(ctx.get(), msg.data(), msg.size()) != 1) return false;
    std::size_t n = 0;
    return EVP_MAC_final(ctx.get(), out, &n, sizeof out) == 1 && n == 16;
}

bool equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept { return CRYPTO_memcmp(a, b, n) == 0; }

void wipe(void* p, std::size_t n) noexcept { OPENSSL_cleanse(p, n); }

}  // namespace metercert::wmbus::crypto
