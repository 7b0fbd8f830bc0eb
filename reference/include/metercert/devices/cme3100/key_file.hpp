// CMe3100 encryption key file (CMe3100 manual §6.15, Figures 7/8, Table 6): CSV import with
// per-row named errors (csv.hpp), and the matching that picks a key for a meter. Pure logic.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metercert/devices/cme3100/csv.hpp"
#include "metercert/mbus/secondary_address.hpp"

namespace metercert::devices::cme3100 {

struct KeyEntry {
    std::optional<std::uint32_t> address;      // secondary address (8 BCD digits); -1 = any
    std::array<std::uint8_t, 16> key{};        // AES-128 key
    std::optional<std::uint16_t> manufacturer; // packed code of 3 letters; * = any
    std::optional<std::uint8_t> medium;        // the DeviceType column (the header's medium); -1 = any
    std::optional<std::uint8_t> version;       // -1 = any
    std::size_t row = 0;                       // spreadsheet row it came from
    // "row 3: address 13360079, manufacturer ELV, device type any, version any" — no key bytes.
    [[nodiscard]] std::string describe() const;
};

struct KeyFileImport {
    std::vector<KeyEntry> keys;
    std::vector<RowError> errors;
};

// Errors: missing_header, wrong_field_count, bad_address (not -1 or 8 digits), bad_key_length
// (not 32 hex digits — three rows of the manual's own Figure 8 have 31 or 33: ERRATA E-24),
// bad_key (non-hex), bad_manufacturer (not 3 letters A–Z or *), bad_device_type (the DeviceType
// column: not -1 or 0–255), bad_version (not -1 or 0–255).
// Throws CsvError for a file that is not CSV (see parse_csv). Details quote a field only when it
// has at most 10 characters (never a key, even one typed into the wrong column).
KeyFileImport import_key_file(const std::string& csv);

// The key for a meter (ERRATA E-24 defines the precedence): a key linked to the meter (§6.15.3)
// first; otherwise among the keys whose every given criterion matches, the one with a matching
// address; then the one with the most given criteria among manufacturer, device type and
// version; on a tie the earlier row. nullopt when none matches.
const KeyEntry* match_key(const std::vector<KeyEntry>& keys, const mbus::SecondaryAddress& meter,
                          const KeyEntry* linked = nullptr);

}  // namespace metercert::devices::cme3100
