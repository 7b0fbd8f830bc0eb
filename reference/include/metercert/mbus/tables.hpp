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

// Fixed data structure (CI 0x73/0x77, see telegram.hpp): the 4-bit medium code and the 6-bit
// unit codes of the two counters (m-bus.com "Application layer" §6.2 and appendix; the same
// table is in rscada/libmbus mbus-protocol.c, whose code swaps 0x0D and 0x0E, ERRATA).
// fixed_medium_name: other, oil, electricity, gas, heat, steam, hot_water, water,
// heat_cost_allocator, reserved (9), gas_mode_2, heat_mode_2, hot_water_mode_2, water_mode_2,
// heat_cost_allocator_mode_2, reserved (F).
std::string_view fixed_medium_name(std::uint8_t medium4) noexcept;
// Unit code → quantity, SI unit and exact scale: 02–0A Wh·10^(c−2), 0B–13 J·10^(c−0B+3),
// 14–1C W·10^(c−14), 1D–25 J/h·10^(c−1D+3), 26–2E m3·10^(c−26−6), 2F–37 m3/h·10^(c−2F−6),
// 38 °C·10^−3, 39 HCA units, 3F without units; 00 (h,m,s) and 01 (D,M,Y) registers are given as
// numbers (quantity time_hms / date_dmy); 3A–3D and 3E (meaningful only for counter 2: counter
// 1's unit, historic value) give quantity "reserved".
VibMeaning fixed_unit(std::uint8_t code) noexcept;
// Status of the fixed structure: "counter_binary" (bit 0), "counter_fixed_date" (bit 1),
// "power_low", "permanent_error", "temporary_error", "manufacturer_5".."manufacturer_7".
std::size_t fixed_status_flags(std::uint8_t status, std::string_view* out) noexcept;

// Application error code of an error report (CI 0x70, EN 13757-3 table of application errors):
// 0 unspecified_error, 1 unimplemented_ci, 2 buffer_too_long, 3 too_many_records,
// 4 premature_end_of_record, 5 too_many_difes, 6 too_many_vifes, 7 reserved, 8 application_busy,
// 9 too_many_readouts; "reserved" beyond.
std::string_view application_error_name(std::uint8_t code) noexcept;

// Function field of a DIF (bits 5..4): instantaneous, maximum, minimum, error (value during error state).
std::string_view function_name(std::uint8_t function) noexcept;

}  // namespace metercert::mbus
