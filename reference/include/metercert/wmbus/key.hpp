// AES-128 keys for wireless M-Bus security: one store looked up by the meter's identity
// (DESIGN "Secrets"). A Key wipes itself (OPENSSL_cleanse) when destroyed; no function of the
// codec ever formats a key into text.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

namespace metercert::wmbus {

struct Key {
    std::array<std::uint8_t, 16> bytes{};
    Key() = default;
    explicit Key(const std::array<std::uint8_t, 16>& b) : bytes(b) {}
    Key(const Key&) = default;
    Key& operator=(const Key&) = default;
    ~Key();
    // 32 hex digits (spaces allowed); nullopt otherwise. The text is not kept.
    static std::optional<Key> from_hex(std::string_view hex);
};

// The identity a key is looked up by: the long TPL header's when the telegram has one (the
// meter behind a radio adapter), else the link layer's (ERRATA E-47).
struct KeyQuery {
    std::uint16_t manufacturer = 0;
    std::uint32_t id = 0;  // 8 BCD digits as a number, e.g. 0x12345678
    std::uint8_t version = 0;
    std::uint8_t medium = 0;
};

// Fills `out` and returns true when there is a key for the meter.
using KeyLookup = std::function<bool(const KeyQuery&, Key& out)>;

// A lookup that answers every meter with one key (`--key HEX`).
KeyLookup single_key(const Key& key);

}  // namespace metercert::wmbus
