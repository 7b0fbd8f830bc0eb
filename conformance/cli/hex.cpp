#include "hex.hpp"

#include <fmt/format.h>

namespace metercert::cli {

bool parse_hex(std::string_view text, std::vector<std::uint8_t>& out, mbus::DecodeError& err) {
    out.clear();
    int hi = -1;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) {
            err = {mbus::ErrorCode::bad_hex, out.size(),
                   fmt::format("character {} ('{}') is not a hex digit", i + 1,
                               (c >= 0x20 && c < 0x7F) ? std::string(1, c) : fmt::format("\\x{:02X}", static_cast<unsigned char>(c)))};
            return false;
        }
        if (hi < 0) {
            hi = d;
        } else {
            out.push_back(static_cast<std::uint8_t>(hi * 16 + d));
            hi = -1;
        }
    }
    if (hi >= 0) {
        err = {mbus::ErrorCode::bad_hex, out.size(), "odd number of hex digits"};
        return false;
    }
    return true;
}

}  // namespace metercert::cli
