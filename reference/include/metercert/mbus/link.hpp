// EN 13757-2 link layer: single character, short, control and long frames; C-, A- and CI-fields.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "metercert/mbus/error.hpp"

namespace metercert::mbus {

inline constexpr std::uint8_t kAck = 0xE5;         // single character (EN 13757-2 §5.2)
inline constexpr std::uint8_t kShortStart = 0x10;  // short frame: 10 C A CS 16
inline constexpr std::uint8_t kLongStart = 0x68;   // control/long: 68 L L 68 C A CI [data] CS 16
inline constexpr std::uint8_t kStop = 0x16;

enum class FrameKind : std::uint8_t { ack, short_frame, control_frame, long_frame };
std::string_view frame_kind_name(FrameKind k) noexcept;  // "ack", "short", "control", "long"

// C-field (EN 13757-2 §5.5): bit 6 PRM (1 = master→slave), bit 5 FCB (master) / ACD (slave),
// bit 4 FCV (master) / DFC (slave), bits 3..0 function.
struct CField {
    std::uint8_t raw = 0;
    [[nodiscard]] bool prm() const noexcept { return (raw & 0x40) != 0; }
    [[nodiscard]] bool fcb() const noexcept { return prm() && (raw & 0x20) != 0; }
    [[nodiscard]] bool fcv() const noexcept { return prm() && (raw & 0x10) != 0; }
    [[nodiscard]] bool acd() const noexcept { return !prm() && (raw & 0x20) != 0; }
    [[nodiscard]] bool dfc() const noexcept { return !prm() && (raw & 0x10) != 0; }
    [[nodiscard]] std::uint8_t function() const noexcept { return raw & 0x0F; }
    // SND_NKE (0x40), SND_UD (0x53/0x73, and 0x43/0x63 as the CMi1020 accepts), SND_UD2 (0x43,
    // EN 13757-2:2018 send-and-request), REQ_UD1 (0x5A/0x7A), REQ_UD2 (0x5B/0x7B, 0x4B/0x6B),
    // RSP_UD (0x08/0x18/0x28/0x38); "unknown" otherwise.
    [[nodiscard]] std::string_view name() const noexcept;
};

// C-field constants used by masters and slaves.
inline constexpr std::uint8_t kSndNke = 0x40;
inline constexpr std::uint8_t kSndUd = 0x53;
inline constexpr std::uint8_t kSndUd2 = 0x43;
inline constexpr std::uint8_t kReqUd1 = 0x5A;
inline constexpr std::uint8_t kReqUd2 = 0x5B;
inline constexpr std::uint8_t kRspUd = 0x08;

// A-field meanings (EN 13757-2 §5.6): 0 unconfigured, 1..250 primary, 251/252 reserved,
// 253 selected slave (secondary addressing), 254 broadcast with reply, 255 broadcast without.
enum class AddressKind : std::uint8_t { unconfigured, primary, reserved, selected, broadcast_reply, broadcast_no_reply };
AddressKind address_kind(std::uint8_t a) noexcept;
std::string_view address_kind_name(AddressKind k) noexcept;

// CI-field meaning (EN 13757-3 Table 1 / EN 13757-2). Unknown values yield "unknown".
struct CiInfo {
    std::string_view name;    // e.g. "rsp_ud_long_header"
    std::uint8_t header = 0;  // data header length after CI: 0, 4 (short) or 12 (long)
    bool records = false;     // user data carries records (DIB/VIB records, or the two counters of CI 73/77)
    bool msb_first = false;   // mode 2 (0x76, 0x77): multi-byte data fields are MSB first
    bool fixed = false;       // fixed data structure (0x73, 0x77): 16 bytes, see telegram.hpp FixedData
};
CiInfo ci_info(std::uint8_t ci) noexcept;
// Baud rate selected by CI 0xB8..0xBF (300 … 38400); nullopt for other CI values.
std::optional<unsigned> ci_baud_rate(std::uint8_t ci) noexcept;

// A validated frame. For long/control frames `user_data` is the bytes after the CI-field and
// before the checksum (empty for control frames).
struct LinkFrame {
    FrameKind kind = FrameKind::ack;
    CField c{};
    std::uint8_t a = 0;
    std::uint8_t ci = 0;
    std::span<const std::uint8_t> user_data{};
    std::size_t size = 0;  // bytes the frame occupies
};

// Parses exactly one frame occupying all of `bytes`. Errors: empty_input, bad_start,
// truncated_frame, l_field_mismatch, bad_second_start, l_field_too_small, bad_checksum, bad_stop,
// trailing_bytes (with the byte offset of the offending byte).
bool parse_link(std::span<const std::uint8_t> bytes, LinkFrame& out, DecodeError& err) noexcept;
// Same as parse_link, but a frame may be followed by more bytes (out.size tells where it ends).
bool parse_link_prefix(std::span<const std::uint8_t> bytes, LinkFrame& out, DecodeError& err) noexcept;

// Builders (EN 13757-2 §5): checksum and stop byte appended.
std::vector<std::uint8_t> build_ack();
std::vector<std::uint8_t> build_short(std::uint8_t c, std::uint8_t a);
// Control frame when user_data is empty, long frame otherwise. Throws DecodeFailure
// (value_out_of_range) when 3 + user_data.size() exceeds 255.
std::vector<std::uint8_t> build_long(std::uint8_t c, std::uint8_t a, std::uint8_t ci,
                                     std::span<const std::uint8_t> user_data);

std::uint8_t checksum(std::span<const std::uint8_t> bytes) noexcept;  // sum mod 256

}  // namespace metercert::mbus
