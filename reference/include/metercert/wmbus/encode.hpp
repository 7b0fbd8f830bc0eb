// Encoder: the inverse of decode. A FrameSpec is what a simulator wants to send (the plain
// application data and every header field); encode() adds the mode 5/7 encryption, the AFL MAC,
// the ELL payload CRC and AES-CTR, the L-field and the CRCs of the chosen format.
// encode(decode(b), keys) == b for every valid telegram.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "metercert/wmbus/telegram.hpp"

namespace metercert::wmbus {

struct FrameSpec {
    CrcFormat crc = CrcFormat::a;  // a, b or none
    Link link{};                   // `l` is computed
    Ell ell{};                     // ci 0: none; payload_crc is computed
    Afl afl{};                     // present: afll and mac are computed (mac_len from the MCL's type)
    bool has_tpl = true;           // false: link layer (and ELL/AFL) only, no CI after them
    Tpl tpl{};
    // Application data after the TPL header (after the config extension byte), in plain text.
    // For modes 5 and 7 the first tpl.encrypted_blocks() × 16 bytes are encrypted; they must
    // start with 2F 2F and the data must hold that many bytes.
    std::vector<std::uint8_t> apl;
};

// Configuration field of modes 0/5 (OMS Vol. 2 Table 19 layout; ERRATA E-49): bidirectional
// (bit 15), accessibility (14), synchronous (13), mode (8–12), encrypted blocks (4–7), content (2–3),
// hop count (0–1).
std::uint16_t config_field(unsigned mode, unsigned blocks, bool synchronous = false, bool accessibility = false,
                           bool bidirectional = false, unsigned content = 0);

// Throws DecodeFailure: no_key (an encrypted layer and no key), encrypted_length (the data are
// shorter than the blocks announced), unsupported_security_mode, truncated_frame (too long for
// the L-field).
std::vector<std::uint8_t> encode(const FrameSpec& spec, const KeyLookup* keys = nullptr);
// Re-encodes a decoded telegram with the same keys.
std::vector<std::uint8_t> encode(const Telegram& t, const KeyLookup* keys = nullptr);

}  // namespace metercert::wmbus
