#include "metercert/obis/obis_code.hpp"

#include <fmt/format.h>

namespace metercert::obis {

namespace {

constexpr char kLetters[] = {'C', 'F', 'L', 'P'};  // 96..99 (IEC 62056-61 §5)

// One value group: decimal 0..255, or (when `letters`) one of C F L P.
bool group(std::string_view s, bool letters, std::uint8_t& out) noexcept {
    if (s.empty()) return false;
    if (letters && s.size() == 1)
        for (int i = 0; i < 4; ++i)
            if (s[0] == kLetters[i]) {
                out = static_cast<std::uint8_t>(96 + i);
                return true;
            }
    unsigned v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
        if (v > 255) return false;
    }
    out = static_cast<std::uint8_t>(v);
    return true;
}

std::string letter_or_number(std::uint8_t v, bool letter) {
    if (letter && v >= 96 && v <= 99) return std::string(1, kLetters[v - 96]);
    return std::to_string(v);
}

}  // namespace

std::optional<ObisCode> ObisCode::parse(std::string_view t) noexcept {
    ObisCode o;
    const auto dash = t.find('-');
    const auto colon = t.find(':');
    const auto star = t.find('*');
    std::string_view cde = t;
    if (dash != std::string_view::npos || colon != std::string_view::npos) {
        if (dash == std::string_view::npos || colon == std::string_view::npos || dash > colon) return std::nullopt;
        if (!group(t.substr(0, dash), false, o.g[0]) || !group(t.substr(dash + 1, colon - dash - 1), false, o.g[1]))
            return std::nullopt;
        cde = t.substr(colon + 1);
    }
    if (star != std::string_view::npos) {
        if (!group(t.substr(star + 1), false, o.g[5])) return std::nullopt;
        cde = cde.substr(0, cde.find('*'));
    }
    std::string_view parts[3];
    int n = 0;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= cde.size(); ++i) {
        if (i == cde.size() || cde[i] == '.') {
            if (n == 3) return std::nullopt;
            parts[n++] = cde.substr(start, i - start);
            start = i + 1;
        }
    }
    if (n < 2) return std::nullopt;
    if (!group(parts[0], true, o.g[2])) return std::nullopt;
    if (!group(parts[1], o.g[2] >= 96 && o.g[2] <= 99, o.g[3])) return std::nullopt;
    o.g[4] = 0;
    if (n == 3 && !group(parts[2], false, o.g[4])) return std::nullopt;
    if (dash == std::string_view::npos && o.g[2] >= 96 && o.g[2] <= 99) o.g[0] = 0;  // abstract objects
    return o;
}

std::string ObisCode::short_form() const {
    const bool letter_c = g[2] >= 96 && g[2] <= 99;
    return fmt::format("{}.{}.{}", letter_or_number(g[2], true), letter_or_number(g[3], letter_c), g[4]);
}

std::string ObisCode::to_string() const { return fmt::format("{}-{}:{}*{}", g[0], g[1], short_form(), g[5]); }

}  // namespace metercert::obis
