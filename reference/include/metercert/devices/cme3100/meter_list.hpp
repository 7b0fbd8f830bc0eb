// CMe3100 Meter List (CMe3100 manual §6.5, Figure 4/5, Table 4): CSV import with per-row named
// errors (csv.hpp), and export. Pure logic.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/devices/cme3100/csv.hpp"

namespace metercert::devices::cme3100 {

enum class AddressingMode : std::uint8_t { primary, secondary, esecondary };
std::string_view addressing_mode_name(AddressingMode m) noexcept;  // "primary", "secondary", "esecondary"

struct MeterListEntry {
    std::string position;              // free text name of the meter
    std::uint32_t secondary = 0;       // 8 BCD digits
    unsigned baud = 2400;              // 300 or 2400
    AddressingMode mode = AddressingMode::secondary;
    std::optional<std::uint8_t> primary;  // 0–250; required for primary mode
    std::string enhanced;              // wireless receiver's enhanced address (kept as given)
    bool passive = false;              // above the licence limit: installed but not read
};

struct MeterListImport {
    std::vector<MeterListEntry> meters;
    std::vector<RowError> errors;  // rows not imported; the others are
};

// Errors: missing_header (no Position/SecondaryAddress/BaudRate/AddressingMode column),
// bad_secondary_address (not 8 decimal digits), bad_baud_rate (not 300/2400),
// bad_addressing_mode, missing_primary_address (primary mode without one),
// bad_primary_address (not 0–250; ERRATA E-23), duplicate_meter (same secondary address and
// mode twice), wrong_field_count. Blank rows are skipped. Rows beyond `licence_limit` meters
// are imported as passive (§6.5).
// Throws CsvError for a file that is not CSV (see parse_csv); every other problem is a RowError.
MeterListImport import_meter_list(const std::string& csv, std::size_t licence_limit = 500);
// The Figure 4 header and one row per meter (passive meters included).
std::string export_meter_list(const std::vector<MeterListEntry>& meters);

}  // namespace metercert::devices::cme3100
