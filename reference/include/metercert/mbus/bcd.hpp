// Packed BCD, every helper metercert has for it (EN 13757-3: identification numbers §5.3, data
// type A of Annex A). Two decimal digits per byte, the less significant in the low nibble; an
// 8-digit number such as an identification number is held as the uint32 whose hex digits are its
// decimal digits (13647123 ↔ 0x13647123); registers go on the wire least significant byte first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "metercert/mbus/decimal.hpp"

namespace metercert::mbus {

// Whether both nibbles of `b` are decimal digits.
constexpr bool is_bcd_byte(std::uint8_t b) noexcept { return (b >> 4) <= 9 && (b & 0xF) <= 9; }

// Whether every nibble of an 8-digit BCD number is a decimal digit (A–F is no BCD digit).
constexpr bool is_bcd(std::uint32_t bcd) noexcept {
    for (int i = 0; i < 8; ++i)
        if (((bcd >> (4 * i)) & 0xF) > 9) return false;
    return true;
}

// 8-digit BCD of a decimal number (taken modulo 10^8): to_bcd(13647123) == 0x13647123.
constexpr std::uint32_t to_bcd(std::uint32_t decimal) noexcept {
    std::uint32_t out = 0;
    for (int i = 0; i < 8; ++i, decimal /= 10) out |= (decimal % 10) << (4 * i);
    return out;
}

// Decimal value of an 8-digit BCD number: from_bcd(0x13647123) == 13647123. A nibble A–F counts
// as 10–15 (the caller checks is_bcd when that matters).
constexpr std::uint32_t from_bcd(std::uint32_t bcd) noexcept {
    std::uint32_t dec = 0;
    for (int i = 7; i >= 0; --i) dec = dec * 10 + ((bcd >> (4 * i)) & 0xF);
    return dec;
}

// n-th decimal successor of an 8-digit BCD number (wraps at 99999999): consecutive serial numbers.
constexpr std::uint32_t bcd_add(std::uint32_t bcd, std::uint32_t n) noexcept {
    return to_bcd((from_bcd(bcd) + n) % 100000000u);
}

// One to eight decimal digits as BCD, right-aligned ("120858" → 0x00120858); nullopt when the
// text is empty, longer than 8 or holds anything but 0–9.
constexpr std::optional<std::uint32_t> parse_bcd(std::string_view digits) noexcept {
    if (digits.empty() || digits.size() > 8) return std::nullopt;
    std::uint32_t bcd = 0;
    for (const char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        bcd = bcd << 4 | static_cast<std::uint32_t>(c - '0');
    }
    return bcd;
}

// A BCD register of `n` bytes (LSB first) as a number (EN 13757-3 Annex A type A). With
// `signed_msd` a most significant nibble 0xF is the minus sign (fixed-length BCD); LVAR BCD
// (0xC0–0xDF) carries its sign in the LVAR, so there every nibble must be a digit. Returns false
// for a register in error state: any other non-decimal digit, and "−0" (ERRATA E-7).
bool read_bcd(const std::uint8_t* p, std::size_t n, Decimal& out, bool signed_msd = true) noexcept;

// Appends `v` as a BCD register of `n` bytes (LSB first; a negative value carries 0xF in the
// most significant nibble, leaving 2n − 1 digits). Returns false, appending nothing, when it does
// not fit.
bool append_bcd(std::vector<std::uint8_t>& out, i128 v, std::size_t n);

}  // namespace metercert::mbus
