// A CMi6110 readout of its heat meter (Landis+Gyr UltraHeat UH50) and the two plain encodings of it
// (Elvaco CMi6110 manual §7.4): the message formats Standard (42: Table 4) and Extended (43: Table 4
// and Table 5), the M-Bus encoding (§7.4.2.1, Table 6: one DIB per field, in table order) and the
// JSON encoding (§7.4.2.2, Table 7 and its example). The SenML/CBOR encoding carries the M-Bus
// encoding as its data values (senml_payload.hpp).
//
// The module copies each register as the meter gives it: the VIB says its unit and scale (Table 6
// lists the ones a UH50 uses) and the register holds the meter's integer. Where the manual is
// silent or contradicts itself the choices are vectors/ERRATA.md E-50 (the JSON units and number
// forms), E-51 (the tariff VIFs Table 6 prints as 03 for every scale; "Missing time" DIF 3C is
// BCD; the Tariff 3 unit key is U3).
//
// JSON decoding errors (`JsonError`) name the key and, for a syntax error, the byte offset.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/mbus/telegram.hpp"

namespace metercert::devices::cmi6110 {

enum class MessageFormat : std::uint8_t { standard = 42, extended = 43 };  // §7.5 resource values

// One register: the VIB as sent (VIF and VIFEs) and the meter's integer.
struct Register {
    std::vector<std::uint8_t> vib;
    std::int64_t raw = 0;
    friend bool operator==(const Register&, const Register&) = default;
};

struct Readout {
    // DIB 1, 04 6D: type F date/time of the meter (minute resolution; `invalid` is the IV bit:
    // "timestamp is not valid")
    mbus::DateTime time = mbus::DateTime::make('F', 2000, 1, 1);
    std::uint32_t meter_id = 0;   // DIB 2, 0C 78: 8 BCD digits (the meter's identification number)
    Register energy{{0x06}, 0};   // DIB 3, DIF 04
    Register volume{{0x13}, 0};   // DIB 4, DIF 04
    Register power{{0x2B}, 0};    // DIB 5, DIF 02 (two data bytes, ERRATA E-50)
    Register flow{{0x3B}, 0};     // DIB 6, DIF 02
    Register forward_temperature{{0x5A}, 0};  // DIB 7, DIF 02
    Register return_temperature{{0x5E}, 0};   // DIB 8, DIF 02
    std::uint16_t error_flags = 0;            // DIB 9, 02 FD 17 (UH50 error flags, §6.3.1)
    // Extended only (Table 5)
    Register tariff[3] = {{{0x06}, 0}, {{0x06}, 0}, {{0x06}, 0}};  // DIB 10–12, 84 10/20/30
    Register missing_time{{0x22}, 0};          // DIB 13, DIF 3C (BCD), VIF 22 hours / 23 days
    // Equal readouts: the same registers, and the date/time with the same bits
    friend bool operator==(const Readout& a, const Readout& b) noexcept {
        return a.time.type == b.time.type && a.time.bits == b.time.bits && a.meter_id == b.meter_id && a.energy == b.energy &&
               a.volume == b.volume && a.power == b.power && a.flow == b.flow && a.forward_temperature == b.forward_temperature &&
               a.return_temperature == b.return_temperature && a.error_flags == b.error_flags && a.tariff[0] == b.tariff[0] &&
               a.tariff[1] == b.tariff[1] && a.tariff[2] == b.tariff[2] && a.missing_time == b.missing_time;
    }
};

// What a field of Table 6 may be: its VIBs and, for the JSON encoding, the key, unit key and how
// the value is written. nullptr for a VIB the table does not list.
struct FieldScale {
    std::vector<std::uint8_t> vib;
    std::string_view json_unit;  // "MWh", "GJ", "m3", "W", "l/h", "C", "h", "d"
    int exponent;                // JSON value = raw × 10^exponent in json_unit
};
std::span<const FieldScale> energy_scales() noexcept;
std::span<const FieldScale> tariff_scales() noexcept;
std::span<const FieldScale> volume_scales() noexcept;
std::span<const FieldScale> power_scales() noexcept;
std::span<const FieldScale> flow_scales() noexcept;
std::span<const FieldScale> forward_temperature_scales() noexcept;
std::span<const FieldScale> return_temperature_scales() noexcept;
std::span<const FieldScale> missing_time_scales() noexcept;

// §7.4.2.1: the DIB list, Table 6 order. Throws std::invalid_argument naming the field for a VIB
// Table 6 does not list or a value that does not fit its data field.
std::vector<std::uint8_t> encode_mbus(const Readout& r, MessageFormat f);

// §7.4.2.2: one JSON object, keys in Table 7 order as in the manual's example ("TS", "ID", "E",
// "U", …), numbers as exact decimals, no whitespace. Throws std::invalid_argument as encode_mbus.
std::string encode_json(const Readout& r, MessageFormat f);

enum class JsonErrorCode {
    bad_json,       // not a JSON object (offset: where the parser stopped)
    missing_key,    // a key of the message format is absent
    unknown_key,    // a key Table 7 does not have
    wrong_type,     // a value of another JSON type than Table 7's field
    bad_unit,       // a unit Table 6 does not give the field
    bad_value,      // a number that the field's register cannot hold at that unit
    bad_time,       // TS is not "YYYY-MM-DDTHH:MMZ"
};
std::string_view error_name(JsonErrorCode c) noexcept;

struct JsonError {
    JsonErrorCode code = JsonErrorCode::bad_json;
    std::string key;         // the JSON key concerned, if any
    std::size_t offset = 0;  // byte offset for bad_json, else 0
    std::string detail;
    [[nodiscard]] std::string message() const;  // "bad_unit at key U: …"
};

enum class MbusErrorCode {
    records,            // the bytes are no M-Bus data records: `detail` holds the M-Bus error
    missing_record,     // Table 6 row absent (the payload ends early)
    unexpected_record,  // a record other than Table 6's next row: wrong DIF, DIFE or a VIB the row does not list
    extra_record,       // records after Table 6's last row of the format
};
std::string_view error_name(MbusErrorCode c) noexcept;

struct MbusError {
    MbusErrorCode code = MbusErrorCode::records;
    std::size_t offset = 0;  // byte offset in the payload
    std::string detail;
    [[nodiscard]] std::string message() const;  // "unexpected_record at byte 12: …"
};

// The readout an M-Bus payload (§7.4.2.1) holds: Table 6's rows in order, each with a DIF/DIFE
// and VIB the row lists; Standard with 9 rows, Extended with 13. Never throws.
bool decode_mbus(std::span<const std::uint8_t> dibs, Readout& out, MessageFormat& format, MbusError& err) noexcept;

// The readout a JSON payload describes and its format (Extended when any Table 5 key is present).
// Never throws.
bool decode_json(std::string_view text, Readout& out, MessageFormat& format, JsonError& err) noexcept;

}  // namespace metercert::devices::cmi6110
