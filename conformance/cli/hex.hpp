// Hex text ↔ bytes for the CLI and bindings: spaces/tabs allowed between digits, case-insensitive.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "metercert/mbus/error.hpp"

namespace metercert::cli {

// Parses hex text; returns false with `err` = bad_hex (offset = byte index the bad digit
// would have filled) on a non-hex character or an odd number of digits.
bool parse_hex(std::string_view text, std::vector<std::uint8_t>& out, mbus::DecodeError& err);

}  // namespace metercert::cli
