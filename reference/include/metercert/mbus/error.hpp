// Named decode errors: what went wrong and where (byte offset from the first byte given).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace metercert::mbus {

// Every way a frame can be rejected. The snake_case name (error_name) is the stable identifier
// used in vectors (`"error"` of invalid vectors), on the CLI (`error: <name> at byte <n>`) and in
// Python (`metercert.DecodeError.name`).
enum class ErrorCode {
    empty_input,        // no byte at all
    bad_hex,            // CLI/bindings: input text is not an even number of hex digits
    bad_start,          // first byte is not 0xE5, 0x10 or 0x68 (EN 13757-2 §5)
    truncated_frame,    // fewer bytes than the frame format / L-field requires
    l_field_mismatch,   // long frame: the two L-fields differ (EN 13757-2 §5.3)
    bad_second_start,   // long frame: byte 3 is not 0x68
    l_field_too_small,  // long frame: L < 3 (C, A and CI are mandatory)
    bad_checksum,       // arithmetic sum of C..last data byte mod 256 differs (EN 13757-2 §5.4)
    bad_stop,           // last byte is not 0x16
    trailing_bytes,     // bytes after the stop character
    truncated_header,   // CI-field announces a data header longer than the user data
    bad_bcd,            // violation: identification number holds a digit A–F (EN 13757-3 §5.3; ERRATA E-7)
    truncated_record,   // a record's DIF/DIFE/VIF/VIFE/LVAR/data runs past the user data
    too_many_dife,      // more than 10 DIFEs (EN 13757-3 §6.3.4)
    too_many_vife,      // more than 10 VIFEs (EN 13757-3 §6.4.3)
    reserved_dif,       // special function 0x3F..0x6F: reserved (EN 13757-3 Table 4)
    reserved_lvar,      // LVAR 0xF7..0xFF: reserved (EN 13757-3 Table 5)
    lvar_overflow,      // LVAR announces more bytes than the user data holds
    value_out_of_range, // encoder: value does not fit the data field
    bad_model,          // encoder: the model is inconsistent (e.g. text on a numeric field)
    // --- added with the fixed data structure and violations (vectors/README.md)
    bad_manufacturer,     // violation: a manufacturer letter is outside A..Z (EN 13757-3 §5.5)
    reserved_fixed_code,  // violation: CI 73/77 medium 9/F, unit 3A–3D, or unit 3E on counter 1
    bad_fixed_length,     // CI 73/77: more than the 16 bytes of the fixed data structure
};

// A recoverable deviation (vectors/README.md "violations"): the decoder knows what the bytes
// mean without guessing, so it decodes the frame and lists the problem. Strict decoding turns
// the first violation into the error. The names are ErrorCode names.
inline constexpr bool is_violation(ErrorCode c) noexcept {
    return c == ErrorCode::bad_bcd || c == ErrorCode::bad_manufacturer || c == ErrorCode::reserved_fixed_code;
}

std::string_view error_name(ErrorCode code) noexcept;

struct DecodeError {
    ErrorCode code = ErrorCode::empty_input;
    std::size_t offset = 0;  // byte offset from the start of the frame
    std::string detail;      // one line, human readable; never contains key material

    // "bad_checksum at byte 21: computed 0x3C, frame says 0x3D"
    [[nodiscard]] std::string message() const;
};

// Thrown by the convenience API (decode_or_throw, encode) and mapped to
// metercert.DecodeError in Python.
class DecodeFailure : public std::runtime_error {
public:
    explicit DecodeFailure(DecodeError e) : std::runtime_error(e.message()), error_(std::move(e)) {}
    [[nodiscard]] const DecodeError& error() const noexcept { return error_; }

private:
    DecodeError error_;
};

}  // namespace metercert::mbus
