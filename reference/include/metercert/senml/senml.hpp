// SenML packs in their CBOR representation (RFC 8428 §6, "CBOR Representation"; items RFC 8949):
// a pack is a CBOR array of records, each record a CBOR map from the integer labels of RFC 8428
// Table 4 (bver −1, bn −2, bt −3, bu −4, bv −5, bs −6, n 0, u 1, v 2, vs 3, vb 4, s 5, t 6,
// ut 7, vd 8) — or text labels of extensions — to their values.
//
// Decoding is caller-owned and never throws: decode_pack() fills a Pack and returns false with a
// named PackError (what, at which byte offset) for anything a SenML-CBOR reader must not accept.
// The CBOR items are read with libcbor's streaming decoder (one call per data item header, so every
// item's offset and encoded width are known); the SenML structure and the rules are ours:
//
//   * preferred serialization, RFC 8949 §4.2.1 "Core Deterministic Encoding Requirements", first
//     two bullets: integers, lengths and counts in their shortest form (`not_shortest`), definite
//     lengths only (`indefinite_length`). Bytewise key order (the third bullet) is NOT required:
//     the CMi6110 manual's own example (§7.4.2.3) orders a record's keys −2, −3, 8 (0x21, 0x22,
//     0x08), which a sorted encoding would not (vectors/ERRATA.md E-45);
//   * a pack is an array of maps (`not_a_pack`, `record_not_a_map`), labels are integers or text
//     (`bad_label`), each label once per record (`duplicate_label`), each value of the CBOR type
//     RFC 8428 Table 4 gives its label (`wrong_type`), nothing after the pack (`trailing_data`),
//     no tags, no undefined/null/simple values where a value is read (`wrong_type`);
//   * a text label that ends in "_" is must-understand (RFC 8428 §4.4, §12.2): `must_understand`.
//     Other unknown labels are kept in Record::unknown_labels (with their offsets) and otherwise
//     ignored, as §4.4 requires;
//   * integers beyond int64 are `out_of_range`; truncation anywhere is `truncated` at the offset
//     where the missing bytes start.
//
// encode_pack() writes the same structure back in preferred serialization (libcbor's encoders
// pick the shortest integer and length forms; a floating-point value is written in the shortest
// of half/single/double that keeps it exactly), keys in the order of Table 4 as the CMi6110
// writes them: bn, bt, n, … (see encode_pack).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace metercert::senml {

// RFC 8428 Table 4 (CBOR labels).
namespace label {
inline constexpr int bver = -1, bn = -2, bt = -3, bu = -4, bv = -5, bs = -6;
inline constexpr int n = 0, u = 1, v = 2, vs = 3, vb = 4, s = 5, t = 6, ut = 7, vd = 8;
}  // namespace label

// A SenML number: CBOR integers stay integers (time and value of the CMi6110 are integers);
// floating-point values are doubles.
struct Number {
    bool is_float = false;
    std::int64_t i = 0;
    double d = 0;
    static Number integer(std::int64_t v) noexcept { return {false, v, 0}; }
    static Number real(double v) noexcept { return {true, 0, v}; }
    [[nodiscard]] double as_double() const noexcept { return is_float ? d : static_cast<double>(i); }
    friend bool operator==(const Number&, const Number&) = default;
};

struct UnknownLabel {
    std::string label;       // "123" for an integer label, the text of a text label
    std::size_t offset = 0;  // of the label's item
};

struct Record {
    std::size_t offset = 0;  // of the record's map item in the pack
    std::optional<std::int64_t> base_version;         // bver −1
    std::optional<std::string> base_name;              // bn −2
    std::optional<Number> base_time;                   // bt −3 (s)
    std::optional<std::string> base_unit;              // bu −4
    std::optional<Number> base_value;                  // bv −5
    std::optional<Number> base_sum;                    // bs −6
    std::optional<std::string> name;                   // n 0
    std::optional<std::string> unit;                   // u 1
    std::optional<Number> value;                       // v 2
    std::optional<std::string> string_value;           // vs 3
    std::optional<bool> bool_value;                    // vb 4
    std::optional<Number> sum;                         // s 5
    std::optional<Number> time;                        // t 6 (s; relative to bt)
    std::optional<Number> update_time;                 // ut 7
    std::optional<std::vector<std::uint8_t>> data_value;  // vd 8 (a byte string in CBOR)
    std::size_t data_value_offset = 0;                 // of the data value's first content byte
    std::vector<UnknownLabel> unknown_labels;          // ignored (RFC 8428 §4.4)
    friend bool operator==(const Record&, const Record&) = default;
};

struct Pack {
    std::vector<Record> records;
};

enum class PackErrorCode {
    empty_input,
    truncated,
    malformed,          // a byte that starts no CBOR item (reserved additional information, …)
    not_a_pack,         // the top-level item is not an array
    record_not_a_map,
    indefinite_length,  // RFC 8949 §4.2.1: definite lengths only
    not_shortest,       // RFC 8949 §4.2.1: an integer, length or count not in its shortest form
    bad_label,          // a map key that is neither an integer nor a text string
    duplicate_label,
    wrong_type,         // a value of another CBOR type than its label takes
    must_understand,    // a text label ending in "_" (RFC 8428 §4.4)
    out_of_range,       // an integer that does not fit int64
    trailing_data,
    unsupported,        // a tag, or nesting SenML does not have
};

std::string_view error_name(PackErrorCode c) noexcept;

struct PackError {
    PackErrorCode code = PackErrorCode::empty_input;
    std::size_t offset = 0;  // byte offset in the payload
    std::string detail;      // one line
    // "not_shortest at byte 12: integer 5 in 2 bytes (shortest: 1)"
    [[nodiscard]] std::string message() const;
};

// Decodes a whole payload. Never throws; false and `err` on the first problem.
bool decode_pack(std::span<const std::uint8_t> payload, Pack& out, PackError& err) noexcept;

// The pack in preferred serialization. Within a record the keys are written in this order: bn, bt,
// bu, bv, bs, bver, n, u, v, vs, vb, s, t, ut, vd (the CMi6110's order, §7.4.2.3: bn, bt, vd and
// n, v and t, vd). Unknown labels are not written. Throws std::invalid_argument for a record with
// no field at all.
std::vector<std::uint8_t> encode_pack(const Pack& pack);

}  // namespace metercert::senml
