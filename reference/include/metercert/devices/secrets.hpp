// Secrets that travel in frames, and the one redaction rule every writer of evidence goes
// through (metercert DESIGN "Secrets"): taps before pcap files, the run's records and reports,
// `decode` output. Pure logic, no I/O.
//
// Secrets known today (CMi1020 manual):
//   §6.7.9  set P1 password: 68 0D 0D 68 C A 51 0F 01 <8 ASCII digits> CS 16
//   §6.7.10 set P2 key:      68 15 15 68 C A 51 0F 02 <16 key bytes>   CS 16  (ERRATA E-20)
// The secret runs from byte 9 to the checksum inclusive (the checksum would leak the secret's
// sum): bytes [9, L + 5) of the frame, L the L-field. Redacted bytes become 0x2A ('*').
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace metercert::devices {

inline constexpr std::uint8_t kRedactedByte = 0x2A;

struct SecretSpan {
    std::size_t first = 0;  // byte offset of the first secret byte in the frame
    std::size_t end = 0;    // one past the last (the checksum's offset + 1); may exceed a partial frame
    std::string_view what;  // "P1 password" or "P2 key"
};

// Where the secret of a frame (or of the beginning of one) lies; nullopt when it carries none.
std::optional<SecretSpan> find_secret(std::span<const std::uint8_t> frame) noexcept;

// Streaming redaction of one byte stream (one direction of one link): the header of a secret
// frame may arrive in one chunk and its secret in the next, at any split. redact() replaces the
// secret bytes of `chunk` in place and returns whether it replaced any. No buffering: bytes are
// never held back, so timestamps stay those of the wire.
class SecretRedactor {
public:
    bool redact(std::span<std::uint8_t> chunk) noexcept;
    void reset() noexcept { filled_ = 0, remaining_ = 0; }

private:
    std::array<std::uint8_t, 9> window_{};  // the last 9 bytes seen (a secret frame's header)
    std::size_t filled_ = 0;
    std::size_t remaining_ = 0;  // secret bytes still to come
};

// Redacts one whole frame (or burst) in place; true when it held a secret.
bool redact_secrets(std::vector<std::uint8_t>& bytes) noexcept;

}  // namespace metercert::devices
