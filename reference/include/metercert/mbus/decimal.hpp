// Exact decimal numbers: an integer mantissa and a power-of-ten exponent.
//
// Every numeric value the codec produces is exact: mantissa × 10^exponent, never a float on
// the way in (metercert DESIGN, "Values are exact decimals"). The mantissa is 128-bit so that a
// 64-bit register multiplied by a unit factor (e.g. days → seconds) cannot overflow.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace metercert::mbus {

// 128-bit integers (a GCC/Clang extension; __extension__ keeps -Wpedantic quiet).
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

struct Decimal {
    i128 mantissa = 0;
    int exponent = 0;

    // Same number with trailing zeros moved from the mantissa into the exponent
    // (0 becomes 0×10^0). Two decimals denote the same number iff their normalized forms match.
    [[nodiscard]] Decimal normalized() const noexcept;

    // Plain positional notation, no exponent, no trailing fractional zeros:
    // {34567,-1} → "3456.7", {12345678,3} → "12345678000", {-5,-1} → "-0.5", {0,4} → "0".
    [[nodiscard]] std::string to_string() const;
    // Upper bound of to_string().size(): sign, 39 digits, "0.", and |exponent| zeros.
    [[nodiscard]] std::size_t max_chars() const noexcept {
        return 44 + static_cast<std::size_t>(exponent < 0 ? -static_cast<long>(exponent) : exponent);
    }
    // Writes to_string() into `out` (at least max_chars() bytes); returns the end pointer.
    char* write(char* out) const noexcept;

    // Parses "[-]digits[.digits]" (no exponent, no '+', no spaces); nullopt when malformed,
    // beyond 38 significant digits, or with an exponent beyond ±4096.
    static std::optional<Decimal> parse(std::string_view text) noexcept;

    // Exact value × 10^-exponent as an integer when it is one (used by the encoder to turn a
    // scaled value back into a register). nullopt when the result has a fraction.
    [[nodiscard]] std::optional<i128> scaled_to(int exponent) const noexcept;

    friend bool operator==(const Decimal& a, const Decimal& b) noexcept;
};

}  // namespace metercert::mbus
