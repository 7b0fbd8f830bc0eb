// CMe3100 Meter List (CMe3100 manual §6.5, Figure 4/5, Table 4) and encryption key file (§6.15,
// Figures 7/8, Table 6): CSV import with per-row named errors, export, and the matching that
// picks a key for a meter. Pure logic; CSV through libcsv (RFC 4180 quoting). A header row is
// required; its names are matched case-insensitively (the manual prints both "Position…" and
// "address,key,…"); a semicolon-separated file (Excel in many locales) is accepted too.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace metercert::devices::cme3100 {

// One row that could not be imported: `row` is the spreadsheet row (header = 1), `name` stable.
struct RowError {
    std::size_t row = 0;
    std::string name;    // e.g. bad_secondary_address, bad_key_length (list in each parser's doc)
    std::string detail;  // one line; never contains key material
    [[nodiscard]] std::string message() const;  // "row 3: bad_baud_rate: …"
};

// A problem of the whole file, found before any row is imported: `name` is stable, `row` the
// spreadsheet row it is on (header = 1; a quoted field may span lines, a row is a record),
// `offset` the byte offset in the file (a byte-order mark included). what() = "row 3:
// unterminated quoted field". Names:
//   unterminated_quoted_field  a quote opens a field and is never closed (offset: that quote)
//   bad_quote                  a quote inside an unquoted field, or text after a closing quote
//                              (RFC 4180 §2.5–2.7; libcsv strict mode)
//   binary_content             NUL or another control byte (TAB, CR, LF are text), or bytes that
//                              are not UTF-8 (a UTF-16 file, an ANSI-code-page export)
//   too_large                  more than kMaxCsvBytes
// Messages never hold a byte of the file: no key material, whatever the column.
struct CsvError : std::runtime_error {
    std::string name;
    std::size_t row = 0;
    std::size_t offset = 0;
    CsvError(std::string name, std::size_t row, std::size_t offset, const std::string& text);  // what() = "row R: text"
};

// Limit of parse_csv (error too_large): 16 MiB, far beyond the CMe3100's meter licences (§6.5).
inline constexpr std::size_t kMaxCsvBytes = std::size_t{16} << 20;

// Splits CSV text into rows of fields (libcsv, strict RFC 4180 quoting; every line end ends a
// row, so blank lines keep the spreadsheet numbering). A leading UTF-8 byte-order mark (Excel's
// "CSV UTF-8") is skipped. The delimiter is ',' unless the first line has ';' and no ','.
// Throws CsvError, nothing else.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);
// One CSV line (RFC 4180 quoting where needed), without the line end.
std::string csv_line(const std::vector<std::string>& fields);

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

// ---------------------------------------------------------------------- encryption key file

struct KeyEntry {
    std::optional<std::uint32_t> address;      // secondary address (8 BCD digits); -1 = any
    std::array<std::uint8_t, 16> key{};        // AES-128 key
    std::optional<std::uint16_t> manufacturer; // packed code of 3 letters; * = any
    std::optional<std::uint8_t> device_type;   // medium; -1 = any
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
// bad_key (non-hex), bad_manufacturer (not 3 letters A–Z or *), bad_device_type, bad_version
// (not -1 or 0–255).
// Throws CsvError for a file that is not CSV (see parse_csv). Details quote a field only when it
// has at most 10 characters (never a key, even one typed into the wrong column).
KeyFileImport import_key_file(const std::string& csv);

// The key for a meter (ERRATA E-24 defines the precedence): a key linked to the meter (§6.15.3)
// first; otherwise among the keys whose every given criterion matches, the one with a matching
// address; then the one with the most given criteria among manufacturer, device type and
// version; on a tie the earlier row. nullopt when none matches.
struct MeterIdentity {
    std::uint32_t address = 0;
    std::uint16_t manufacturer = 0;
    std::uint8_t device_type = 0;
    std::uint8_t version = 0;
};
const KeyEntry* match_key(const std::vector<KeyEntry>& keys, const MeterIdentity& meter,
                          const KeyEntry* linked = nullptr);

}  // namespace metercert::devices::cme3100
