// What the two receiver-stick codecs share (im871a.hpp, amb8465.hpp): the named error of a
// malformed stick frame, the wireless M-Bus modes a stick is set to, and the stick's own handling
// of a received telegram (it checks the EN 13757-4 CRCs and hands the host the telegram from its
// L-field onward without them). Pure logic: no I/O, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace metercert::rigs::sticks {

// A malformed stick frame. name(): bad_sof (the first byte is not the protocol's start byte),
// bad_crc (iM871A CRC-16), bad_checksum (AMB8465 XOR), truncated (the stream ended inside a
// frame), unknown_message (an endpoint/message or command the protocol does not define),
// reserved_bit (iM871A control field bit 4), bad_payload (a message's payload does not have its
// defined shape). offset(): the byte offset in the frame (0 = its start byte) where it went wrong.
class StickError : public std::runtime_error {
public:
    StickError(std::string name, std::size_t offset, const std::string& what);
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

private:
    std::string name_;
    std::size_t offset_;
};

// The modes the sticks receive (EN 13757-4 §4: a collector hears T1 meters in T2 "other", C1 in C2
// "other"; both sticks' own mode codes are in their headers). "T1", "C1", "S1" (as given on a
// URL, case-insensitive); nullopt for anything else.
enum class RadioMode : std::uint8_t { t1, c1, s1 };
std::optional<RadioMode> radio_mode_from_name(std::string_view name) noexcept;
std::string_view radio_mode_name(RadioMode m) noexcept;  // "T1", "C1", "S1"

// A received frame-format-A telegram (EN 13757-4 §5.3: CRC after the first 10 bytes, then after
// every 16, L excluding CRCs) as a receiver stick passes it on: from the L-field, the CRCs checked
// and removed. nullopt when a CRC is wrong or the length disagrees with L (the stick drops it).
std::optional<std::vector<std::uint8_t>> strip_format_a(std::span<const std::uint8_t> wire);

}  // namespace metercert::rigs::sticks
