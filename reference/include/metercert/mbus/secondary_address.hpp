// Secondary addressing (EN 13757-3 §5 and §11): the secondary address a slave states in its data
// header and the selection mask a master sends to pick slaves by it. Wired and wireless M-Bus,
// the CMi1020's selection, the CMe3100's meter list and key file all use these.
//
// Terms: `medium` is the header byte EN 13757-3:2013 calls "device type" (earlier editions and
// the canonical JSON say "medium"); metercert's code says `medium` throughout.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace metercert::mbus {

// Secondary address (EN 13757-3 §5): identification number (8 BCD digits), manufacturer,
// version (generation), medium. As in the fixed data header.
struct SecondaryAddress {
    std::uint32_t id = 0;
    std::uint16_t manufacturer = 0;
    std::uint8_t version = 0;
    std::uint8_t medium = 0;
    auto operator<=>(const SecondaryAddress&) const = default;
    // 16 hex digits IIIIIIIIMMMMVVTT (ID, manufacturer as its 16-bit value, version, medium), the
    // form libmbus and gateways print: ELV's 13647123, version 1, electricity = "1364712315960102".
    [[nodiscard]] std::string to_string() const;
};

// An identification number written as 8 decimal digits ("13647123") as the 8 packed BCD digits of
// the header (0x13647123); nullopt for anything else (EN 13757-3 §5.3; BCD helpers: bcd.hpp).
std::optional<std::uint32_t> parse_identification(std::string_view text) noexcept;

// Selection mask of SND_UD CI=0x52 (EN 13757-3 secondary addressing; CMi1020 manual §6.7.7): 16 nibbles, F = any
// in the ID, and in this mask also nibble-wise in manufacturer, version and medium.
struct SecondaryMask {
    std::uint32_t id = 0xFFFFFFFF;
    std::uint16_t manufacturer = 0xFFFF;
    std::uint8_t version = 0xFF;
    std::uint8_t medium = 0xFF;
    static SecondaryMask exact(const SecondaryAddress& a) { return {a.id, a.manufacturer, a.version, a.medium}; }
    // 16 hex digits: ID (8, BCD digits or F), manufacturer (4), version (2), medium (2); an ID of
    // only 8 digits leaves the rest wildcard. Throws std::invalid_argument naming the position.
    static SecondaryMask parse(const std::string& text);
    [[nodiscard]] std::vector<std::uint8_t> user_data() const;  // the 8 bytes after CI 0x52
    // The mask a selection's user data carries (the inverse of user_data()); a shorter one leaves
    // the rest wildcard, bytes past 8 are ignored.
    static SecondaryMask from_user_data(std::span<const std::uint8_t> data) noexcept;
    [[nodiscard]] bool matches(const SecondaryAddress& a) const noexcept;  // nibble-wise, F = any
    [[nodiscard]] std::string to_string() const;                          // 16 hex digits
    // nibble at position 0..15 (0 = most significant ID digit, 8..11 manufacturer, 12..13 version,
    // 14..15 medium), and a copy with that nibble set.
    [[nodiscard]] unsigned nibble(unsigned pos) const noexcept;
    [[nodiscard]] SecondaryMask with(unsigned pos, unsigned value) const noexcept;
};

}  // namespace metercert::mbus
