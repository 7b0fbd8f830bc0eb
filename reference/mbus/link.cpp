#include "metercert/mbus/link.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace metercert::mbus {

std::string_view error_name(ErrorCode code) noexcept {
    switch (code) {
        case ErrorCode::empty_input: return "empty_input";
        case ErrorCode::bad_hex: return "bad_hex";
        case ErrorCode::bad_start: return "bad_start";
        case ErrorCode::truncated_frame: return "truncated_frame";
        case ErrorCode::l_field_mismatch: return "l_field_mismatch";
        case ErrorCode::bad_second_start: return "bad_second_start";
        case ErrorCode::l_field_too_small: return "l_field_too_small";
        case ErrorCode::bad_checksum: return "bad_checksum";
        case ErrorCode::bad_stop: return "bad_stop";
        case ErrorCode::trailing_bytes: return "trailing_bytes";
        case ErrorCode::truncated_header: return "truncated_header";
        case ErrorCode::bad_bcd: return "bad_bcd";
        case ErrorCode::truncated_record: return "truncated_record";
        case ErrorCode::too_many_dife: return "too_many_dife";
        case ErrorCode::too_many_vife: return "too_many_vife";
        case ErrorCode::reserved_dif: return "reserved_dif";
        case ErrorCode::reserved_lvar: return "reserved_lvar";
        case ErrorCode::lvar_overflow: return "lvar_overflow";
        case ErrorCode::value_out_of_range: return "value_out_of_range";
        case ErrorCode::bad_model: return "bad_model";
        case ErrorCode::bad_manufacturer: return "bad_manufacturer";
        case ErrorCode::reserved_fixed_code: return "reserved_fixed_code";
        case ErrorCode::bad_fixed_length: return "bad_fixed_length";
    }
    return "unknown_error";
}

std::string DecodeError::message() const {
    return fmt::format("{} at byte {}: {}", error_name(code), offset, detail);
}

std::string_view frame_kind_name(FrameKind k) noexcept {
    switch (k) {
        case FrameKind::ack: return "ack";
        case FrameKind::short_frame: return "short";
        case FrameKind::control_frame: return "control";
        case FrameKind::long_frame: return "long";
    }
    return "unknown";
}

std::string_view CField::name() const noexcept {
    if (raw & 0x80) return "unknown";
    if (prm()) {
        switch (function()) {
            case 0x0: return (raw & 0x30) == 0 ? "SND_NKE" : "unknown";
            case 0x3: return fcv() ? "SND_UD" : "SND_UD2";
            case 0xA: return "REQ_UD1";
            case 0xB: return "REQ_UD2";
            default: return "unknown";
        }
    }
    return function() == 0x8 ? "RSP_UD" : "unknown";
}

AddressKind address_kind(std::uint8_t a) noexcept {
    if (a == 0) return AddressKind::unconfigured;
    if (a <= 250) return AddressKind::primary;
    if (a == 253) return AddressKind::selected;
    if (a == 254) return AddressKind::broadcast_reply;
    if (a == 255) return AddressKind::broadcast_no_reply;
    return AddressKind::reserved;
}

std::string_view address_kind_name(AddressKind k) noexcept {
    switch (k) {
        case AddressKind::unconfigured: return "unconfigured";
        case AddressKind::primary: return "primary";
        case AddressKind::reserved: return "reserved";
        case AddressKind::selected: return "selected";
        case AddressKind::broadcast_reply: return "broadcast_reply";
        case AddressKind::broadcast_no_reply: return "broadcast_no_reply";
    }
    return "unknown";
}

CiInfo ci_info(std::uint8_t ci) noexcept {
    switch (ci) {
        case 0x50: return {"application_reset", 0, false, false};
        case 0x51: return {"data_send", 0, true, false};
        case 0x52: return {"selection", 0, false, false};
        case 0x53: return {"application_reset_subcode", 0, false, false};
        case 0x54: return {"synchronize_action", 0, false, false};
        case 0x5A: return {"command_short_header", 4, true, false};
        case 0x5B: return {"command_long_header", 12, true, false};
        case 0x70: return {"application_error", 0, false, false};
        case 0x71: return {"alarm", 0, false, false};
        case 0x72: return {"rsp_ud_long_header", 12, true, false};
        case 0x73: return {"rsp_ud_fixed", 0, true, false, true};
        case 0x76: return {"rsp_ud_long_header_msb_first", 12, true, true};
        case 0x77: return {"rsp_ud_fixed_msb_first", 0, true, true, true};
        case 0x78: return {"rsp_ud_no_header", 0, true, false};
        case 0x7A: return {"rsp_ud_short_header", 4, true, false};
        case 0xB1: return {"request_ram_readout", 0, false, false};
        case 0xB2: return {"send_user_data_ram", 0, false, false};
        case 0xB3: return {"initialize_test_calibration", 0, false, false};
        case 0xB4: return {"eeprom_read", 0, false, false};
        case 0xB6: return {"start_software_test", 0, false, false};
        case 0xB8: case 0xB9: case 0xBA: case 0xBB:
        case 0xBC: case 0xBD: case 0xBE: case 0xBF: return {"set_baud_rate", 0, false, false};
        default: return {"unknown", 0, false, false};
    }
}

std::optional<unsigned> ci_baud_rate(std::uint8_t ci) noexcept {
    if (ci < 0xB8 || ci > 0xBF) return std::nullopt;
    return 300u << (ci - 0xB8);
}

std::uint8_t checksum(std::span<const std::uint8_t> bytes) noexcept {
    unsigned s = 0;
    for (auto b : bytes) s += b;
    return static_cast<std::uint8_t>(s & 0xFF);
}

static bool fail(DecodeError& err, ErrorCode code, std::size_t off, std::string detail) noexcept {
    err.code = code;
    err.offset = off;
    try {
        err.detail = std::move(detail);
    } catch (...) {
    }
    return false;
}

bool parse_link_prefix(std::span<const std::uint8_t> b, LinkFrame& out, DecodeError& err) noexcept {
    out = LinkFrame{};
    if (b.empty()) return fail(err, ErrorCode::empty_input, 0, "no bytes");
    switch (b[0]) {
        case kAck:
            out.kind = FrameKind::ack;
            out.size = 1;
            return true;
        case kShortStart: {
            if (b.size() < 5)
                return fail(err, ErrorCode::truncated_frame, b.size(),
                            fmt::format("short frame needs 5 bytes, got {}", b.size()));
            const std::uint8_t cs = checksum(b.subspan(1, 2));
            if (cs != b[3])
                return fail(err, ErrorCode::bad_checksum, 3,
                            fmt::format("computed 0x{:02X}, frame says 0x{:02X}", cs, b[3]));
            if (b[4] != kStop)
                return fail(err, ErrorCode::bad_stop, 4, fmt::format("expected 0x16, got 0x{:02X}", b[4]));
            out.kind = FrameKind::short_frame;
            out.c.raw = b[1];
            out.a = b[2];
            out.size = 5;
            return true;
        }
        case kLongStart: {
            if (b.size() < 4)
                return fail(err, ErrorCode::truncated_frame, b.size(),
                            fmt::format("long frame header needs 4 bytes, got {}", b.size()));
            if (b[1] != b[2])
                return fail(err, ErrorCode::l_field_mismatch, 2,
                            fmt::format("L-fields 0x{:02X} and 0x{:02X} differ", b[1], b[2]));
            if (b[3] != kLongStart)
                return fail(err, ErrorCode::bad_second_start, 3,
                            fmt::format("expected 0x68, got 0x{:02X}", b[3]));
            const std::size_t l = b[1];
            if (l < 3)
                return fail(err, ErrorCode::l_field_too_small, 1,
                            fmt::format("L = {} leaves no room for C, A and CI", l));
            const std::size_t total = l + 6;
            if (b.size() < total)
                return fail(err, ErrorCode::truncated_frame, b.size(),
                            fmt::format("L = {} needs {} bytes, got {}", l, total, b.size()));
            const std::uint8_t cs = checksum(b.subspan(4, l));
            if (cs != b[4 + l])
                return fail(err, ErrorCode::bad_checksum, 4 + l,
                            fmt::format("computed 0x{:02X}, frame says 0x{:02X}", cs, b[4 + l]));
            if (b[5 + l] != kStop)
                return fail(err, ErrorCode::bad_stop, 5 + l, fmt::format("expected 0x16, got 0x{:02X}", b[5 + l]));
            out.kind = l == 3 ? FrameKind::control_frame : FrameKind::long_frame;
            out.c.raw = b[4];
            out.a = b[5];
            out.ci = b[6];
            out.user_data = b.subspan(7, l - 3);
            out.size = total;
            return true;
        }
        default:
            return fail(err, ErrorCode::bad_start, 0,
                        fmt::format("0x{:02X} is not a start character (E5, 10, 68)", b[0]));
    }
}

bool parse_link(std::span<const std::uint8_t> b, LinkFrame& out, DecodeError& err) noexcept {
    if (!parse_link_prefix(b, out, err)) return false;
    if (out.size != b.size())
        return fail(err, ErrorCode::trailing_bytes, out.size,
                    fmt::format("{} byte(s) after the end of the {} frame", b.size() - out.size,
                                frame_kind_name(out.kind)));
    return true;
}

std::vector<std::uint8_t> build_ack() { return {kAck}; }

std::vector<std::uint8_t> build_short(std::uint8_t c, std::uint8_t a) {
    return {kShortStart, c, a, static_cast<std::uint8_t>(c + a), kStop};
}

std::vector<std::uint8_t> build_long(std::uint8_t c, std::uint8_t a, std::uint8_t ci,
                                     std::span<const std::uint8_t> user_data) {
    const std::size_t l = 3 + user_data.size();
    if (l > 255)
        throw DecodeFailure({ErrorCode::value_out_of_range, 0,
                             fmt::format("user data of {} bytes exceeds a long frame (L ≤ 255)", user_data.size())});
    std::vector<std::uint8_t> f(l + 6);
    const auto L = static_cast<std::uint8_t>(l);
    f[0] = kLongStart;
    f[1] = L;
    f[2] = L;
    f[3] = kLongStart;
    f[4] = c;
    f[5] = a;
    f[6] = ci;
    std::copy(user_data.begin(), user_data.end(), f.begin() + 7);
    f[l + 4] = checksum(std::span(f).subspan(4, l));
    f[l + 5] = kStop;
    return f;
}

}  // namespace metercert::mbus
