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
#include <string_view>
#include <vector>

#include "metercert/obis/obis_code.hpp"

namespace metercert::obis {

struct ReadoutValue {
    std::string raw;    // as sent between '(' and '*' or ')', padding included: "          120858"
    std::string value;  // trimmed, e.g. "042951.721", "M26", "" (blank)
    std::string unit;   // "kWh", "V", "" when the value has no unit

    friend bool operator==(const ReadoutValue&, const ReadoutValue&) = default;
};

struct DataLine {
    std::string code_text;  // as written: "1.8.1", "C.1.0", "F.F", "0.0"
    ObisCode code;
    std::vector<ReadoutValue> values;  // one per "(…)" group
    std::size_t line = 0;              // 1-based line in the readout

    friend bool operator==(const DataLine&, const DataLine&) = default;
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

    friend bool operator==(const Readout&, const Readout&) = default;
};

// A readout the parser rejects: what, and where (1-based line and column; a line ends at LF,
// columns count bytes, so on the line that starts with STX the first data character is column 2).
// Names (stable):
//   empty                   nothing but white space
//   not_text                a byte a readout cannot hold: IEC 62056-21 readouts are 7-bit
//                           printable characters (0x20–0x7E) with CR LF line ends, STX and ETX
//                           only as framing; NUL, TAB, other controls and bytes >= 0x80 are named
//                           at the first one (the BCC byte after ETX is exempt)
//   too_long                more than kMaxReadoutBytes (normalize_readout)
//   bad_line_end            CR without LF, or (parse_readout, the wire form) LF without CR
//   missing_identification  parse_readout: the wire form starts with '/'
//   bad_identification      not "/" 3 letters, a baud character and an identification (no '/' or
//                           '!' in it), or no line end
//   missing_stx             parse_readout: no STX after the identification line; normalize: an
//                           ETX without an STX
//   bad_data_line           not code(value)(value)…, an empty line, or a line without line end
//   bad_obis_code           the code before '(' is not an OBIS code (IEC 62056-61)
//   unterminated_value      '(' without ')' on the line, or '(' inside a value
//   missing_end             no "!" line end before ETX / the end of the input
//   missing_etx, missing_bcc, bad_bcc (framed: the XOR of the bytes after STX up to ETX differs)
//   no_data_lines           normalize_readout: a readout without a single data line
//   trailing_data           bytes after the BCC (beyond one line end, normalize_readout) or after
//                           the "!" line of a bare data block
struct ReadoutError : std::runtime_error {
    std::string name;
    std::size_t line, column;
    std::string detail;  // one line; what() = "line L, column C: name: detail"
    ReadoutError(std::string n, std::size_t l, std::size_t c, const std::string& detail);
};

// Parses a whole readout in its wire form (identification line, STX, data lines with CR LF,
// "!" CR LF, ETX, BCC; nothing after the BCC); throws ReadoutError. `bytes` are 7-bit (parity
// already removed). Linear in the input; stops at the first offending byte.
Readout parse_readout(std::span<const std::uint8_t> bytes);
Readout parse_readout(std::string_view text);

// Limit of normalize_readout (error too_long): 1 MiB. A real E350 readout is 406 bytes; a
// readout with every row of the CMi1020's Table 6 is 1.3 kB.
inline constexpr std::size_t kMaxReadoutBytes = std::size_t{1} << 20;
// Identification line normalize_readout supplies to a bare data block: manufacturer "XXX"
// (no manufacturer claimed), baud character '0' (300 Bd, no baud change), ident "METERCERT".
inline constexpr std::string_view kNeutralIdentification = "/XXX0METERCERT\r\n";

// Accepts a readout as people keep it in files and returns the canonical wire form the E350
// model answers with: identification line (kept, or kNeutralIdentification), STX, the data
// lines byte for byte with CR LF, "!" CR LF, ETX and the computed BCC. Accepted inputs:
//   - the wire form (what parse_readout accepts, with at least one data line: no_data_lines
//     otherwise), with LF or CR LF line ends; its BCC must
//     match the bytes as given, or, when line ends were LF, the same bytes with CR LF (a capture
//     that went through a text tool); then at most one line end after the BCC;
//   - the framed data block without the identification line (STX … ETX BCC);
//   - a bare data block: an optional identification line, then data lines (CR LF or LF, the last
//     one may lack its line end), optionally the "!" line; blank lines only at the end.
// A leading UTF-8 byte-order mark is skipped (it still counts as columns 1–3 of line 1).
// Anything else throws ReadoutError (names above). A result always parses with parse_readout.
std::string normalize_readout(std::span<const std::uint8_t> bytes);
std::string normalize_readout(std::string_view bytes);

// Serialises a readout back to the bytes a meter would send (with the computed BCC).
std::string render_readout(const Readout& r);

// XOR of bytes (IEC 62056-21 block check character).
std::uint8_t bcc(std::span<const std::uint8_t> bytes) noexcept;

}  // namespace metercert::obis
