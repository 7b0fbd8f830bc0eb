// The CMi1020's OBIS → M-Bus interpreter (CMi1020 manual §6.6, Table 6).
//
// Each data line of a readout whose OBIS code is in Table 6, and whose selection bit is set in
// the OBIS selection mask (command 0x05, §6.7.14), becomes one M-Bus record with the DIF/DIFEs,
// VIF/VIFEs and data type printed in the table. Records keep the readout's order.
//
// Exponent: from the value's decimals d, n = offset − d (kWh/kW/kvarh/kvar/cos φ/Hz/kVAh:
// offset 6; V: 9; A: 12), the finest the printed VIF range allows. Values are taken exactly
// from their digit strings. Rule for values that do not fit (vectors/ERRATA.md E-16): trailing
// zero digits may be dropped to reach a coarser exponent inside the printed range; if the value
// still does not fit the printed type (signed, EN 13757-3 type B) or has more decimals than the
// range can carry, the record is left out and a diagnostic names the line — never truncated.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "metercert/obis/readout.hpp"

namespace metercert::obis {

inline constexpr std::size_t kSelectionBits = 68;     // Table 6 rows 0..67
using SelectionMask = std::array<std::uint8_t, 10>;  // §6.7.14: bit k = Mask[k/8] bit k%8
inline constexpr SelectionMask kSelectAll{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};

struct Table6Row {
    unsigned sel;          // selection bit (Table 6 "Sel. Bit")
    ObisCode code;         // C, D, E matter; A/B as a readout's short code implies
    const char* obis;      // as printed: "1.8.0", "16.7", "C.7.0", "F.F", "0.0"
    const char* note;      // the table's OBIS note
};
// All 68 rows, in table order.
const std::vector<Table6Row>& table6();

struct Diagnostic {
    std::size_t line;  // readout line
    std::string obis;
    std::string what;  // "value_overflow", "too_many_decimals", "unexpected_unit", "not_a_number", "text_too_long"
};

struct Interpretation {
    std::vector<std::vector<std::uint8_t>> records;  // encoded records (DIB + VIB + data), readout order
    std::vector<unsigned> record_sel;                // Table 6 selection bit of each record
    std::optional<std::uint32_t> header_id;          // 8 BCD digits from 0.0, else C.1.0 (Table 4)
    std::vector<Diagnostic> diagnostics;
};

// Interprets a readout under a selection mask.
Interpretation interpret(const Readout& readout, const SelectionMask& mask = kSelectAll);

// The secondary-address candidate of Table 4: 0.0 when its last 8 characters (as sent, padding
// included) are decimal digits, else C.1.0 when it is 1..8 decimal digits; nullopt otherwise.
std::optional<std::uint32_t> meter_secondary_address(const Readout& readout);

}  // namespace metercert::obis
