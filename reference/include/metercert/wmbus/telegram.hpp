// EN 13757-4 / OMS wireless M-Bus telegram: data link layer (frame formats A and B with their
// CRCs), extended link layer (CI 8C–8F, AES-CTR in 8D/8F), authentication and fragmentation
// layer (CI 90, AES-CMAC), transport layer (CI 78/7A/72 and the other EN 13757-7 CIs below) with
// security modes 5 (AES-CBC) and 7 (CMAC key derivation, AES-CBC, MAC), and the EN 13757-3 data
// records of metercert/mbus. Decoding fills a caller-owned Telegram, never throws and never reads
// out of bounds. Crypto is OpenSSL 3 (EVP), private to this library.
//
//   wire bytes ──CRC check/strip──▶ `bytes` (logical frame: L C M A CI …) ──decrypt in place──▶ records
//
// Offsets in errors are wire offsets (CRCs counted); Spans inside `apl` index `bytes`.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "metercert/mbus/telegram.hpp"
#include "metercert/wmbus/error.hpp"
#include "metercert/wmbus/key.hpp"

namespace metercert::wmbus {

// Frame format (EN 13757-4 §5.3 ff.): A = CRC after the first 10 bytes, then after every 16
// bytes (L excludes the CRCs); B = one CRC over the first ≤ 126 bytes (L counts CRC bytes) and a
// second over the rest; none = CRCs already removed by a receiver.
enum class CrcFormat : std::uint8_t { automatic, a, b, none };
std::string_view crc_format_name(CrcFormat f) noexcept;  // "auto", "A", "B", "none"

// C-field names (EN 13757-4 Table 10 / EN 13757-2): SND_NR 44, SND_IR 46, ACC_NR 47, ACC_DMD 48,
// SND_UD 53/73, SND_UD2 43/63, REQ_UD1 5A/7A, REQ_UD2 5B/7B, SND_NKE 40, RSP_UD 08/18/28/38,
// ACK 00/10/20/30, CNF_IR 06; otherwise "unknown".
std::string_view c_field_name(std::uint8_t c) noexcept;

struct Link {
    std::uint8_t l = 0;  // as sent (format B counts the CRC bytes)
    std::uint8_t c = 0;
    std::uint16_t manufacturer = 0;
    std::uint32_t id = 0;  // BCD digits as a number
    std::uint8_t version = 0;
    std::uint8_t medium = 0;
};

// Extended link layer (EN 13757-4 §13.2): CI 8C (CC, ACC), 8D (+ SN, payload CRC), 8E (+ M2,
// A2), 8F (+ M2, A2, SN, payload CRC). ci == 0: none.
struct Ell {
    std::uint8_t ci = 0;
    std::uint8_t cc = 0;
    std::uint8_t acc = 0;
    std::uint32_t sn = 0;            // 8D/8F: bits 29–31 encryption (0 none, 1 AES-128-CTR), 25–28 time, 0–24 session
    std::uint16_t payload_crc = 0;   // 8D/8F: as sent (LSB first, ERRATA E-48)
    std::uint16_t manufacturer = 0;  // 8E/8F: M2
    std::uint32_t id = 0;            // 8E/8F: A2 identification
    std::uint8_t version = 0, medium = 0;
    [[nodiscard]] bool has_sn() const noexcept { return ci == 0x8D || ci == 0x8F; }
    [[nodiscard]] bool has_address() const noexcept { return ci == 0x8E || ci == 0x8F; }
    [[nodiscard]] unsigned encryption() const noexcept { return has_sn() ? (sn >> 29) & 7u : 0u; }
};

// Authentication and fragmentation layer (EN 13757-7 §6 / OMS Vol. 2 §6.3), CI 90: AFLL, FCL,
// then as the FCL says MCL, KI, MCR, MAC, ML.
struct Afl {
    bool present = false;
    std::uint8_t afll = 0;
    std::uint16_t fcl = 0;   // bit 14 more fragments, 13 MCL, 12 ML, 11 MCR, 10 MAC, 9 KI present; 0–7 fragment id
    std::uint8_t mcl = 0;    // bits 0–3 authentication type (5/6/7: AES-CMAC truncated to 8/12/16 bytes)
    std::uint16_t ki = 0;
    std::uint32_t mcr = 0;   // message counter
    std::uint16_t ml = 0;
    std::uint8_t mac_len = 0;
    std::array<std::uint8_t, 16> mac{};
};

// Transport layer: the CI-field, its header (none / short / long, as metercert/mbus Header) and the
// configuration field (+ its mode-7 extension byte).
struct Tpl {
    std::uint8_t ci = 0;
    mbus::Header header{};     // kind none / short_header / long_header; `signature` holds the configuration field
    bool has_config_ext = false;
    std::uint8_t config_ext = 0;  // mode 7: bits 4–5 KDF selection, 0–3 key id
    [[nodiscard]] std::uint16_t config() const noexcept { return header.signature; }
    [[nodiscard]] unsigned security_mode() const noexcept { return (config() >> 8) & 0x1Fu; }
    [[nodiscard]] unsigned encrypted_blocks() const noexcept { return (config() >> 4) & 0x0Fu; }
};
std::string_view tpl_ci_name(std::uint8_t ci) noexcept;

// What was checked and decrypted.
struct Security {
    unsigned mode = 0;             // TPL security mode
    bool crc_checked = false;      // the link layer's CRCs were present and verified
    bool ell_decrypted = false;    // ELL AES-128-CTR
    bool ell_crc_verified = false;
    bool mac_verified = false;     // AFL AES-CMAC
    bool decrypted = false;        // TPL mode 5/7 decryption with the 2F2F check
    std::uint16_t enc_off = 0;     // TPL-encrypted range in `bytes`
    std::uint16_t enc_len = 0;
    std::uint16_t ell_enc_off = 0; // ELL-encrypted range in `bytes` (from the payload CRC to the end)
};

struct Telegram {
    CrcFormat crc = CrcFormat::none;  // the format the frame was read in
    Link link{};
    Ell ell{};
    Afl afl{};
    Tpl tpl{};
    Security security{};
    std::uint16_t tpl_off = 0;   // index of the TPL CI in `bytes` (= size when there is none)
    std::uint16_t apl_off = 0;   // index of the application data (after the TPL header and config extension)
    // The logical frame (CRCs removed, decrypted) and the records; apl.bytes is that frame.
    mbus::Telegram apl{};
    [[nodiscard]] const std::vector<std::uint8_t>& bytes() const noexcept { return apl.bytes; }
};

struct DecodeOptions {
    CrcFormat crc = CrcFormat::automatic;
    const KeyLookup* keys = nullptr;  // no lookup: encrypted data fail with no_key
};

// Decodes one telegram (all of `frame`). Returns false and fills `err` on any error.
bool decode(std::span<const std::uint8_t> frame, Telegram& out, DecodeError& err, const DecodeOptions& opt = {}) noexcept;
Telegram decode_or_throw(std::span<const std::uint8_t> frame, const DecodeOptions& opt = {});  // throws DecodeFailure

// Wire offset of logical byte `i` in a frame read with `f` (A: + 2 per CRC before it).
std::size_t wire_offset(CrcFormat f, std::size_t i) noexcept;

}  // namespace metercert::wmbus
