// Test helper shared by the reference's googletest files: bytes from hex text as a manual prints
// them ("68 03 03 68 …": spaces ignored). Not part of any library; tests include it by path.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace metercert::testing {

inline std::vector<std::uint8_t> hex(std::string_view text) {
    std::string digits;
    for (char c : text)
        if (c != ' ') digits += c;
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < digits.size(); i += 2)
        out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
    return out;
}

}  // namespace metercert::testing
