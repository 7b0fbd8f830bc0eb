// OpenSSL 3 EVP wrappers (private to metercert_wmbus: nothing else sees OpenSSL). In place, no
// padding; every function returns false when OpenSSL fails. Never hand-written AES or CMAC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "metercert/wmbus/key.hpp"

namespace metercert::wmbus::crypto {

// AES-128-CBC over `data` (a multiple of 16 bytes), in place.
bool aes_cbc(const Key& key, const std::uint8_t (&iv)[16], std::span<std::uint8_t> data, bool encrypt) noexcept;
// AES-128-CTR (encryption = decryption), in place; the counter is the whole 128-bit IV.
bool aes_ctr(const Key& key, const std::uint8_t (&iv)[16], std::span<std::uint8_t> data) noexcept;
// AES-CMAC (NIST SP 800-38B / RFC 4493) of `msg`.
bool cmac(const Key& key, std::span<const std::uint8_t> msg, std::uint8_t (&out)[16]) noexcept;
// Constant-time comparison.
bool equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept;
// OPENSSL_cleanse.
void wipe(void* p, std::size_t n) noexcept;

}  // namespace metercert::wmbus::crypto
