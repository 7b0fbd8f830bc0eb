// EN 13757-3 code tables: medium (device type), manufacturer packing, VIF/VIFE meanings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "metercert/mbus/decimal.hpp"

namespace metercert::mbus {

// Medium / device type byte (EN 13757-3:2013 Table 3, OMS Vol.2 Table 2). "reserved" when unassigned.
std::string_view medium_name(std::uint8_t medium) noexcept;

// Manufacturer ID (EN 13757-3 §5.5, IEC/EN 62056-21 flag): three letters A..Z packed as
// ((c1-64)<<10) | ((c2-64)<<5) | (c3-64), transmitted LSB first. "ELV" ↔ 0x1596 (bytes 96 15).
std::string manufacturer_letters(std::uint16_t code);
std::optional<std::uint16_t> manufacturer_code(std::string_view letters) noexcept;  // nullopt unless 3 letters A..Z

// What a value-information block says, resolved from VIF + VIFEs.
enum class DateHint : std::uint8_t { none, date, datetime, dst };

struct VibMeaning {
    std::string_view quantity = "unknown";  // snake_case quantity name, e.g. "energy", "volume_flow"
    // SI base symbol (Wh, J, m3, kg, s, W, J/h, m3/h, °C, K, bar, V, A, ...) with the suffixes of
    // combinable VIFEs; sized for the worst case (a 6-byte unit and ten 8-byte suffixes), so it
    // is never truncated.
    char unit[96] = {};
    std::uint8_t unit_len = 0;
    Decimal scale{1, 0};        // value in `unit` = register × scale (exact)
    DateHint date = DateHint::none;
    bool numeric = true;        // false for identifiers/text/bit fields interpreted as such
    bool bitfield = false;      // error flags, digital I/O: register read as unsigned (type D)
    bool reserved = false;      // a reserved code was used somewhere in the VIB
    [[nodiscard]] std::string_view unit_view() const noexcept { return {unit, unit_len}; }
    void set_unit(std::string_view u) noexcept;
    void append_unit(std::string_view u) noexcept;
};

// Resolves a VIB. `vife`/`n_vife` are the VIFEs in wire order (for VIF 0xFB/0xFD the first VIFE
// is the extension-table code). Never fails: reserved codes give quantity "reserved".
VibMeaning interpret_vib(std::uint8_t vif, const std::uint8_t* vife, std::size_t n_vife) noexcept;

// Description of one combinable (orthogonal) VIFE, EN 13757-3 Table 15 ("per hour",
// "forward flow", "multiplicative correction 10^-3", "error: ..."). Empty for none.
std::string vife_description(std::uint8_t vife);
// The same text from a table built once (no allocation per call; used by the JSON writer).
std::string_view vife_description_view(std::uint8_t vife) noexcept;

// Names of the status byte's set bits (EN 13757-3 §5.9 Table 6): "application_busy",
// "application_error", "abnormal_condition" (bits 1..0 = 01/10/11), "power_low" (bit 2),
// "permanent_error" (bit 3), "temporary_error" (bit 4), "manufacturer_5".."manufacturer_7".
// Writes at most 7 names into `out`; returns how many.
std::size_t status_flags(std::uint8_t status, std::string_view* out) noexcept;

// Function field of a DIF (bits 5..4): instantaneous, maximum, minimum, error (value during error state).
std::string_view function_name(std::uint8_t function) noexcept;

}  // namespace metercert::mbus
