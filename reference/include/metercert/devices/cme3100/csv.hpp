// CSV files of the CMe3100 (its Meter List §6.5 and encryption key file §6.15): RFC 4180 through
// libcsv, with the file-level errors and the per-row error both importers report. Pure logic.
// A header row is required; its names are matched case-insensitively (the manual prints both
// "Position…" and "address,key,…"); a semicolon-separated file (Excel in many locales) is
// accepted too.
#pragma once

#include <cstddef>
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

}  // namespace metercert::devices::cme3100
