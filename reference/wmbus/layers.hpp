// What the decoder and the encoder share (private): the TPL CI table, IVs and key derivation.
#pragma once

#include <cstdint>
#include <string_view>

#include "metercert/wmbus/telegram.hpp"

namespace metercert::wmbus::detail {

struct TplCi {
    std::string_view name;
    std::uint8_t header;  // 0, 4 or 12 bytes
    bool records;         // EN 13757-3 data records follow
};
TplCi tpl_ci(std::uint8_t ci) noexcept;

inline constexpr std::size_t ell_size(std::uint8_t ci) noexcept {
    return ci == 0x8C ? 3 : ci == 0x8D ? 9 : ci == 0x8E ? 11 : ci == 0x8F ? 17 : 0;
}
inline constexpr unsigned kFclMoreFragments = 1u << 14, kFclMcl = 1u << 13, kFclMl = 1u << 12, kFclMcr = 1u << 11,
                          kFclMac = 1u << 10, kFclKi = 1u << 9;
inline constexpr std::uint8_t kEllHopBit = 0x10;  // CC bit H, cleared in the AES-CTR IV (ERRATA E-48)

// AFL MAC length of an authentication type (MCL bits 0–3): 0 none, 5/6/7 AES-CMAC 8/12/16; else -1.
int mac_length(unsigned at) noexcept;

// The meter identity of the telegram's security: the long TPL header's when present, else the link's,
// as the 8 wire bytes M (2) ‖ ID (4) ‖ version ‖ medium.
void identity(const Telegram& t, std::uint8_t (&out)[8]) noexcept;
KeyQuery key_query(const Telegram& t) noexcept;

// Mode 5 IV: M ‖ A ‖ access number × 8 (OMS Vol. 2 §9.2.4; the TPL header's access number).
void mode5_iv(const Telegram& t, std::uint8_t (&iv)[16]) noexcept;
// ELL AES-CTR IV: M ‖ A (link layer) ‖ CC without H ‖ SN ‖ FN 00 00 ‖ BC 00 (EN 13757-4 §13.2.10).
void ell_iv(const Telegram& t, std::uint8_t (&iv)[16]) noexcept;
// Mode 7 KDF-A (OMS Vol. 2 §9.5.3): K_enc / K_mac = CMAC(K, 00/01 ‖ MCR ‖ ID ‖ 07 × 7).
bool derive(const Key& k, const Telegram& t, Key& kenc, Key& kmac) noexcept;
// The AFL MAC (untruncated) over MCL ‖ MCR ‖ [ML] ‖ bytes[tpl_off, end).
bool afl_mac(const Key& kmac, const Telegram& t, std::uint8_t (&out)[16]) noexcept;

}  // namespace metercert::wmbus::detail
