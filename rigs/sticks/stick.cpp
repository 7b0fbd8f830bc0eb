#include "metercert/rigs/sticks/stick.hpp"

#include <cctype>

#include <fmt/format.h>

#include "metercert/wmbus/crc.hpp"

namespace metercert::rigs::sticks {

StickError::StickError(std::string name, std::size_t offset, const std::string& what)
    : std::runtime_error(fmt::format("{} at byte {}: {}", name, offset, what)), name_(std::move(name)), offset_(offset) {}

std::optional<RadioMode> radio_mode_from_name(std::string_view name) noexcept {
    if (name.size() != 2 || name[1] != '1') return std::nullopt;
    switch (std::toupper(static_cast<unsigned char>(name[0]))) {
        case 'T': return RadioMode::t1;
        case 'C': return RadioMode::c1;
        case 'S': return RadioMode::s1;
        default: return std::nullopt;
    }
}

std::string_view radio_mode_name(RadioMode m) noexcept {
    switch (m) {
        case RadioMode::t1: return "T1";
        case RadioMode::c1: return "C1";
        case RadioMode::s1: return "S1";
    }
    return "?";
}

std::optional<std::vector<std::uint8_t>> strip_format_a(std::span<const std::uint8_t> wire) {
    if (wire.size() < 12) return std::nullopt;
    const std::size_t logical = std::size_t{wire[0]} + 1;  // L + the L-field itself
    std::vector<std::uint8_t> out;
    out.reserve(logical);
    std::size_t pos = 0;
    std::size_t block = 10;  // the first block: L C M M A A A A V T
    while (out.size() < logical) {
        const std::size_t n = std::min(block, logical - out.size());
        if (pos + n + 2 > wire.size()) return std::nullopt;
        const auto data = wire.subspan(pos, n);
        const std::uint16_t crc = wmbus::crc16(data);
        if (wire[pos + n] != (crc >> 8) || wire[pos + n + 1] != (crc & 0xFF)) return std::nullopt;  // EN 13757-4: MSB first
        out.insert(out.end(), data.begin(), data.end());
        pos += n + 2;
        block = 16;
    }
    if (pos != wire.size()) return std::nullopt;
    return out;
}

}  // namespace metercert::rigs::sticks
