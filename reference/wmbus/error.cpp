#include "metercert/wmbus/error.hpp"

#include <fmt/format.h>

namespace metercert::wmbus {

std::string_view error_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::empty_input: return "empty_input";
        case ErrorCode::bad_hex: return "bad_hex";
        case ErrorCode::truncated_frame: return "truncated_frame";
        case ErrorCode::trailing_bytes: return "trailing_bytes";
        case ErrorCode::l_field_too_small: return "l_field_too_small";
        case ErrorCode::crc_mismatch: return "crc_mismatch";
        case ErrorCode::truncated_header: return "truncated_header";
        case ErrorCode::ell_payload_crc: return "ell_payload_crc";
        case ErrorCode::unsupported_fragmentation: return "unsupported_fragmentation";
        case ErrorCode::unsupported_security_mode: return "unsupported_security_mode";
        case ErrorCode::encrypted_length: return "encrypted_length";
        case ErrorCode::missing_afl: return "missing_afl";
        case ErrorCode::no_key: return "no_key";
        case ErrorCode::decryption_check_failed: return "decryption_check_failed";
        case ErrorCode::mac_mismatch: return "mac_mismatch";
        case ErrorCode::record: return "record";
    }
    return "unknown";
}

std::string_view DecodeError::name() const noexcept {
    return code == ErrorCode::record ? mbus::error_name(mbus_code) : error_name(code);
}

std::string DecodeError::message() const {
    return detail.empty() ? fmt::format("{} at byte {}", name(), offset) : fmt::format("{} at byte {}: {}", name(), offset, detail);
}

}  // namespace metercert::wmbus
