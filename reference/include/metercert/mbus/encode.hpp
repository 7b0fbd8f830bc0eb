// Encoder: builds frames and records from the model (EN 13757-2 §5, EN 13757-3 §6).
//
//   TelegramBuilder b(kRspUd, 1, 0x72);
//   b.header(h);
//   b.record({.dif = 0x04, .vib = {0x06}}, Value::integer(12345678));  // 12345678 kWh
//   std::vector<uint8_t> frame = b.frame();
//
// The builder encodes each value into the data field its DIF selects (integers in two's
// complement, BCD with 0xF sign nibble for negatives, IEEE 754 reals, date types by bits, LVAR
// text reversed) and throws DecodeFailure(value_out_of_range / bad_model) when it cannot.
// encode(Telegram) re-serialises a decoded telegram byte for byte.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "metercert/mbus/telegram.hpp"

namespace metercert::mbus {

struct Value {
    ValueKind kind = ValueKind::none;
    Decimal number{};     // integer, bcd, real (real: the decimal is rounded to the nearest float)
    DateTime date{};      // date
    std::string bytes{};  // text (in reading order, not reversed) or binary

    static Value none() { return {}; }
    static Value integer(i128 v) { return {ValueKind::integer, {v, 0}, {}, {}}; }
    static Value bcd(i128 v) { return {ValueKind::bcd, {v, 0}, {}, {}}; }
    static Value real(Decimal d) { return {ValueKind::real, d, {}, {}}; }
    static Value datetime(DateTime d) { return {ValueKind::date, {}, d, {}}; }
    static Value text(std::string s) { return {ValueKind::text, {}, {}, std::move(s)}; }
    static Value binary(std::string s) { return {ValueKind::binary, {}, {}, std::move(s)}; }
};

// The structural part of a record: DIF, DIFEs and the VIB exactly as it goes on the wire
// (VIF, VIFEs, and for plain-text VIFs the length and reversed text in the chosen layout).
struct RecordSpec {
    std::uint8_t dif = 0;
    std::vector<std::uint8_t> dife{};
    std::vector<std::uint8_t> vib{};
    // For data code 0xD with a binary value: LVAR to use (0 = shortest that fits).
    std::uint8_t lvar = 0;
};

// Encodes `v` into the data field of `dif` (plus LVAR byte for code 0xD). Appends to `out`.
void encode_value(std::uint8_t dif, const Value& v, std::uint8_t lvar_hint, std::vector<std::uint8_t>& out);

class TelegramBuilder {
public:
    TelegramBuilder(std::uint8_t c, std::uint8_t a, std::uint8_t ci) : c_(c), a_(a), ci_(ci) {}
    TelegramBuilder& header(const Header& h);
    TelegramBuilder& record(const RecordSpec& spec, const Value& v);
    TelegramBuilder& raw(std::span<const std::uint8_t> bytes);  // any bytes, e.g. 0x2F fillers
    // 0x0F or 0x1F followed by manufacturer-specific bytes.
    TelegramBuilder& special(std::uint8_t dif, std::span<const std::uint8_t> mfr = {});
    [[nodiscard]] std::vector<std::uint8_t> user_data() const { return ud_; }
    [[nodiscard]] std::vector<std::uint8_t> frame() const;  // long (or control) frame

private:
    std::uint8_t c_, a_, ci_;
    std::vector<std::uint8_t> ud_;
};

// Appends the data header; with `msb_first` (CI 0x76, mode 2) the identification number,
// manufacturer and signature go most significant byte first (ERRATA E-13). A non-BCD
// identification number is refused (bad_bcd) unless `keep_violations` — re-encoding a decoded
// frame that carried one as a violation (ERRATA E-7).
void encode_header(const Header& h, std::vector<std::uint8_t>& out, bool msb_first = false, bool keep_violations = false);

// The 16 bytes of a fixed data structure (CI 0x73; 0x77 with `msb_first`), layout in
// telegram.hpp: h.id, h.access_number, h.status (bit 0 selects binary counters, else BCD),
// h.medium (4 bits), the counters' 6-bit unit codes and values (integer when status bit 0 is
// set, else bcd). Throws DecodeFailure: value_out_of_range (a counter does not fit 8 BCD digits
// or 32 bits, medium > 15, unit > 63), bad_model (value kind and status disagree), bad_bcd
// (non-BCD identification number, unless `keep_violations`).
std::vector<std::uint8_t> fixed_user_data(const Header& h, const std::uint8_t (&unit)[2], const Value (&counter)[2],
                                          bool msb_first = false, bool keep_violations = false);
// Re-serialises a decoded telegram: encode(decode(b)) == b for every valid frame.
std::vector<std::uint8_t> encode(const Telegram& t);

}  // namespace metercert::mbus
