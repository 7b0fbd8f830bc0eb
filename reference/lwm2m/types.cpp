// Paths, errors and UTF-8 of the LwM2M layer (types.hpp).
#include "metercert/lwm2m/types.hpp"

#include <charconv>

#include <fmt/format.h>

namespace metercert::lwm2m {

Path Path::prefix(std::uint8_t n) const noexcept {
    Path p;
    p.depth = n < depth ? n : depth;
    for (std::uint8_t i = 0; i < p.depth; ++i) p.ids[i] = ids[i];
    return p;
}

bool Path::contains(const Path& other) const noexcept {
    if (other.depth < depth) return false;
    for (std::uint8_t i = 0; i < depth; ++i)
        if (ids[i] != other.ids[i]) return false;
    return true;
}

Path Path::child(std::uint16_t id) const noexcept {
    Path p = *this;
    if (p.depth < 4) p.ids[p.depth++] = id;
    return p;
}

std::optional<Path> parse_path(std::string_view text) noexcept {
    if (text.starts_with('/')) text.remove_prefix(1);
    Path p;
    if (text.empty()) return p;
    while (true) {
        if (p.depth == 4) return std::nullopt;
        const auto slash = text.find('/');
        const auto part = text.substr(0, slash);
        unsigned v = 0;
        const auto* end = part.data() + part.size();
        const auto r = std::from_chars(part.data(), end, v);
        if (part.empty() || r.ec != std::errc{} || r.ptr != end || v > 65535) return std::nullopt;
        p.ids[p.depth++] = static_cast<std::uint16_t>(v);
        if (slash == std::string_view::npos) break;
        text.remove_prefix(slash + 1);
    }
    return p;
}

std::string to_string(const Path& p) {
    if (p.depth == 0) return "/";
    std::string s;
    for (std::uint8_t i = 0; i < p.depth; ++i) s += fmt::format("/{}", p.ids[i]);
    return s;
}

std::string_view error_name(ErrorCode c) noexcept {
    switch (c) {
        case ErrorCode::truncated: return "truncated";
        case ErrorCode::bad_length: return "bad_length";
        case ErrorCode::bad_nesting: return "bad_nesting";
        case ErrorCode::duplicate: return "duplicate";
        case ErrorCode::path_mismatch: return "path_mismatch";
        case ErrorCode::unknown_resource: return "unknown_resource";
        case ErrorCode::wrong_type: return "wrong_type";
        case ErrorCode::bad_value: return "bad_value";
        case ErrorCode::out_of_range: return "out_of_range";
        case ErrorCode::bad_utf8: return "bad_utf8";
        case ErrorCode::syntax: return "syntax";
        case ErrorCode::trailing_data: return "trailing_data";
        case ErrorCode::not_representable: return "not_representable";
        case ErrorCode::unsupported_format: return "unsupported_format";
        case ErrorCode::missing: return "missing";
    }
    return "?";
}

std::string Error::message() const { return fmt::format("{} at byte {}: {}", error_name(code), offset, detail); }

std::optional<std::size_t> invalid_utf8(std::string_view s) noexcept {
    const auto* b = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        const unsigned c = b[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        unsigned lo = 0x80, hi = 0xBF;  // bounds of the second byte (RFC 3629 §4)
        if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        } else return i;
        if (i + len > n) return i;
        if (b[i + 1] < lo || b[i + 1] > hi) return i;
        for (std::size_t k = 2; k < len; ++k)
            if (b[i + k] < 0x80 || b[i + k] > 0xBF) return i;
        i += len;
    }
    return std::nullopt;
}

}  // namespace metercert::lwm2m
