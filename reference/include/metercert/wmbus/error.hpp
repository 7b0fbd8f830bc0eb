// Named decode errors of the wireless M-Bus codec: what went wrong and where (byte offset from
// the first byte given, i.e. on the wire, CRCs included). Never any key material in a detail.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "metercert/mbus/error.hpp"

namespace metercert::wmbus {

enum class ErrorCode {
    empty_input,                // no byte at all
    bad_hex,                    // CLI/bindings: not an even number of hex digits
    truncated_frame,            // fewer bytes than the L-field (and the CRC format) require
    trailing_bytes,             // more bytes than the L-field (and the CRC format) allow
    l_field_too_small,          // L below 9 (C, M and A are mandatory) or below what its CRC format needs
    crc_mismatch,               // a block's CRC differs (the detail names the block)
    truncated_header,           // an ELL, AFL or TPL header runs past the end of the frame
    ell_payload_crc,            // ELL II/IV: the payload CRC over the (decrypted) payload differs
    unsupported_fragmentation,  // AFL: a fragment of a longer message (more fragments, or fragment id ≠ 0 … later slice)
    unsupported_security_mode,  // TPL security mode other than 0, 5 and 7; ELL encryption other than none/AES-CTR;
                                // AFL authentication type other than none / AES-CMAC 8, 12, 16 bytes; mode 7 KDF ≠ 1
    encrypted_length,           // the configuration field announces more encrypted blocks than the frame holds
    missing_afl,                // mode 7 without an AFL message counter (the key derivation needs it)
    no_key,                     // encrypted data and no key for this meter
    decryption_check_failed,    // the decrypted data do not start with 0x2F 0x2F (wrong key, or not the data's key)
    mac_mismatch,               // AFL MAC differs from the AES-CMAC computed with the derived key
    record,                     // a data record is invalid: mbus_code names it (truncated_record, reserved_dif, …)
};

std::string_view error_name(ErrorCode code) noexcept;

struct DecodeError {
    ErrorCode code = ErrorCode::empty_input;
    mbus::ErrorCode mbus_code = mbus::ErrorCode::empty_input;  // for ErrorCode::record
    std::size_t offset = 0;
    std::string detail;

    // The stable name: error_name(code), or the M-Bus record error's name for ErrorCode::record.
    [[nodiscard]] std::string_view name() const noexcept;
    // "crc_mismatch at byte 10: block 1: computed 0x1234, frame says 0x3363"
    [[nodiscard]] std::string message() const;
};

class DecodeFailure : public std::runtime_error {
public:
    explicit DecodeFailure(DecodeError e) : std::runtime_error(e.message()), error_(std::move(e)) {}
    [[nodiscard]] const DecodeError& error() const noexcept { return error_; }

private:
    DecodeError error_;
};

}  // namespace metercert::wmbus
