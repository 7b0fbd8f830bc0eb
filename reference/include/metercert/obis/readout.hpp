// IEC 62056-21 mode C data readout: the bytes a meter sends after the sign-on
// (identification line, STX, data lines, "!" CRLF, ETX, BCC).
//
//   /LGZ4ZMF100AC.M26<CR><LF>          identification: manufacturer "LGZ", baud char '4', ident
//   <STX>F.F(00)<CR><LF>               data lines: code(value*unit)(value*unit)…
//   …
//   !<CR><LF><ETX><BCC>                end; BCC = XOR of every byte after STX up to ETX (§6.4)
//
// Values are kept as the meter wrote them (trimmed of padding spaces); numbers are interpreted
// later, exactly, from their digit strings. Hex fields (F.F, C.5.0) are never read as decimal.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "metercert/obis/obis_code.hpp"

namespace metercert::obis {

struct ReadoutValue {
    std::string raw;    // as sent between '(' and '*' or ')', padding included: "          120858"
    std::string value;  // trimmed, e.g. "042951.721", "M26", "" (blank)
    std::string unit;   // "kWh", "V", "" when the value has no unit
};

struct DataLine {
    std::string code_text;  // as written: "1.8.1", "C.1.0", "F.F", "0.0"
    ObisCode code;
    std::vector<ReadoutValue> values;  // one per "(…)" group
    std::size_t line = 0;              // 1-based line in the readout
};

struct Readout {
    std::string manufacturer;  // "LGZ"
    char baud_char = '0';      // '0'…'6' = 300 … 19200 Bd (mode C)
    std::string identification;  // "ZMF100AC.M26"
    std::vector<DataLine> lines;
    std::uint8_t bcc = 0;

    [[nodiscard]] const DataLine* find(std::string_view short_code) const noexcept;
    // Baud rate the baud character announces in mode C (IEC 62056-21 §6.3.14); 0 if not 0–6.
    [[nodiscard]] unsigned baud() const noexcept;
};

// A readout the parser rejects: what, and where (1-based line and column).
struct ReadoutError : std::runtime_error {
    std::string name;  // missing_identification, bad_identification, missing_stx, bad_data_line,
                       // bad_obis_code, unterminated_value, missing_end, missing_etx, missing_bcc, bad_bcc
    std::size_t line, column;
    ReadoutError(std::string n, std::size_t l, std::size_t c, const std::string& detail);
};

// Parses a whole readout; throws ReadoutError. `text` is bytes (7-bit, parity already removed).
Readout parse_readout(std::span<const std::uint8_t> bytes);
Readout parse_readout(std::string_view text);

// Serialises a readout back to the bytes a meter would send (with the computed BCC).
std::string render_readout(const Readout& r);

// XOR of bytes (IEC 62056-21 block check character).
std::uint8_t bcc(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace metercert::obis
