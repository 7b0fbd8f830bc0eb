// OBIS codes (IEC 62056-61): A-B:C.D.E*F, six value groups 0..255.
//
// The letter groups of IEC 62056-61 §5 (C = 96 "service entry", F = 97 "error", L = 98
// "list", P = 99 "profile") are accepted in value groups C and D and printed back as letters in
// group C (and in D when C is a letter), so "C.1.0" and "F.F" round-trip. Short codes as
// IEC 62056-21 readouts write them ("32.7", "1.8.1", "C.1.0", "F.F") fill the missing groups:
// A = 1 (electricity) when C is numeric, A = 0 for the letter groups (abstract objects), B = 0,
// E = 0, F = 255. The short form is kept too: the CMi1020's Table 6 is keyed on it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace metercert::obis {

struct ObisCode {
    std::array<std::uint8_t, 6> g{1, 0, 0, 0, 0, 255};  // A, B, C, D, E, F

    [[nodiscard]] std::uint8_t a() const noexcept { return g[0]; }
    [[nodiscard]] std::uint8_t b() const noexcept { return g[1]; }
    [[nodiscard]] std::uint8_t c() const noexcept { return g[2]; }
    [[nodiscard]] std::uint8_t d() const noexcept { return g[3]; }
    [[nodiscard]] std::uint8_t e() const noexcept { return g[4]; }
    [[nodiscard]] std::uint8_t f() const noexcept { return g[5]; }

    // Parses "A-B:C.D.E*F", "A-B:C.D.E", "C.D.E", "C.D" (and letters C/F/L/P in C and D).
    // nullopt when malformed or a group exceeds 255.
    static std::optional<ObisCode> parse(std::string_view text) noexcept;
    // "1-0:1.8.0*255", "0-0:C.1.0*255", "0-0:F.F.0*255"
    [[nodiscard]] std::string to_string() const;
    // The IEC 62056-21 short form: "1.8.0", "32.7.0", "C.1.0", "F.F.0"
    [[nodiscard]] std::string short_form() const;

    friend bool operator==(const ObisCode&, const ObisCode&) = default;
};

}  // namespace metercert::obis
