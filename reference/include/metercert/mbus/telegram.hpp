// EN 13757-3 application layer: fixed data header, data records (DIB/VIB/data), and the telegram
// (a decoded frame). Decoding fills a caller-owned Telegram so that a hot loop re-uses its
// storage: no heap allocation per record.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metercert/mbus/decimal.hpp"
#include "metercert/mbus/error.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/mbus/tables.hpp"

namespace metercert::mbus {

inline constexpr std::size_t kMaxDife = 10;  // EN 13757-3 §6.3.4
inline constexpr std::size_t kMaxVife = 10;  // EN 13757-3 §6.4.3

// Byte range inside Telegram::bytes.
struct Span {
    std::uint16_t off = 0;
    std::uint16_t len = 0;
};

// Fixed data header (EN 13757-3 §5): long (CI 0x72/0x76, 12 bytes) or short (CI 0x7A, 4 bytes);
// or the head of the fixed data structure (CI 0x73/0x77, described below).
struct Header {
    enum class Kind : std::uint8_t { none, short_header, long_header, fixed } kind = Kind::none;
    std::uint32_t id = 0;             // identification number as 8 BCD digits, e.g. 0x12345678 = "12345678"
                                      // (a digit A–F is kept as sent and listed as a bad_bcd violation)
    std::uint16_t manufacturer = 0;   // packed code, see manufacturer_letters()
    std::uint8_t version = 0;         // generation
    std::uint8_t medium = 0;          // device type; fixed: the 4-bit medium of the medium/unit bytes
    std::uint8_t access_number = 0;
    std::uint8_t status = 0;          // bits 1..0 application, 2 power low, 3 permanent, 4 temporary error
                                      // (fixed: bit 0 counters binary, bit 1 counters at fixed date)
    std::uint16_t signature = 0;      // signature / configuration word
};

// Fixed data structure (CI 0x73 mode 1 LSB first, 0x77 mode 2 MSB first), the EN 1434-3:1997
// layout EN 13757-3 keeps for compatibility; public reference: m-bus.com "Application layer",
// §6.2 "Fixed Data Structure" (and its appendix data type E). 16 bytes after the CI-field:
//   identification number (4, BCD) · access number (1) · status (1) · medium/unit (2) ·
//   counter 1 (4) · counter 2 (4)
// Status: bit 0 set = counters binary (type B), else BCD (type A); bit 1 set = counters stored
// at a fixed date, else actual values; bits 2–4 as in the variable structure; 5–7 manufacturer.
// Medium/unit (a 16-bit value, byte order per mode): bits 0–5 unit of counter 1, bits 8–13
// unit of counter 2, and the 4-bit medium in bits 6, 7 (its low bits) and 14, 15 (its high
// bits). Unit codes: fixed_unit() in tables.hpp. See vectors/ERRATA.md (fixed data structure).
inline constexpr std::size_t kFixedDataSize = 16;
inline constexpr std::uint8_t kFixedStatusBinary = 0x01;
inline constexpr std::uint8_t kFixedStatusFixedDate = 0x02;
inline constexpr std::uint8_t kFixedUnitSameButHistoric = 0x3E;

// Value of a data record's data field (EN 13757-3 Annex A).
enum class ValueKind : std::uint8_t {
    none,       // data field code 0 (no data) or 8 (selection for readout)
    integer,    // type B (signed) or, for bit-field VIFs, type C/D (unsigned); `number`
    bcd,        // type A, incl. negative (MS nibble 0xF); `number`
    error_state,  // no number: BCD digits in error state (hex A..F other than the sign nibble,
                  // EN 13757-3 Annex B), BCD or real −0, or a real that is NaN/±Inf; the data bytes are the value
    real,       // type H, IEEE 754 32-bit; `number` is the shortest decimal that round-trips
    date,       // type G/F/I/J/K (see DateTime); `number` unused
    text,       // LVAR 0x00..0xBF: ASCII, stored reversed on the wire
    binary,     // LVAR 0xE0..0xF6: bytes as given
};
std::string_view value_kind_name(ValueKind k) noexcept;

// Date/time types of EN 13757-3 Annex A. `bits` is the little-endian register; the fields are
// decoded from it. Build one with DateTime::make to encode.
struct DateTime {
    char type = 'G';  // 'G' date (2 bytes), 'J' time (3), 'F' date+time (4), 'K' DST (4), 'I' date+time+s (6)
    std::uint64_t bits = 0;
    std::uint16_t year = 0;
    std::uint8_t month = 0, day = 0, hour = 0, minute = 0, second = 0;
    bool invalid = false;      // IV bit (F, I)
    bool summer_time = false;  // SU bit (F, I)
    std::uint64_t extra = 0;   // bits of `bits` no field above covers (reserved, day of week, week)

    // Field layout of each type; year = 1900 + 100·hundred_year + y, and with hundred_year 0 a
    // y < 81 means 20y (EN 13757-3 Annex A compatibility rule). See vectors/ERRATA.md E-6.
    static DateTime decode(char type, std::uint64_t bits) noexcept;
    // Encodes the fields back into `bits`; the hundred-year bits (F, I) are (year − 1900) / 100.
    static DateTime make(char type, unsigned year, unsigned month, unsigned day, unsigned hour = 0,
                         unsigned minute = 0, unsigned second = 0, bool invalid = false,
                         bool summer_time = false) noexcept;
    // Hundred-year bits as sent (F: bits 13..14, I: bits 46..47); 0 for other types.
    [[nodiscard]] unsigned hundred_year() const noexcept;
    // The 7-bit year field as sent (G, F, I). Values above 99 are outside EN 13757-3's range;
    // the canonical JSON then carries it as "year_field" so the date re-encodes exactly.
    [[nodiscard]] unsigned year_field() const noexcept;
    [[nodiscard]] DateTime with_year_field(unsigned y) const noexcept;
    // Same date with `extra` bits OR-ed in (kept so that a decoded date re-encodes exactly).
    [[nodiscard]] DateTime with_extra(std::uint64_t extra_bits) const noexcept;
    // Same date with other hundred-year bits (a device may send 0 with the compatibility rule).
    [[nodiscard]] DateTime with_hundred_year(unsigned hy) const noexcept;
    // "2019-11-28", "20:00:05", "2019-11-28T20:00", "2019-11-28T20:00:05"; type K: hex of bits.
    [[nodiscard]] std::string iso() const;
    // Writes iso() into `out` (at least 24 bytes); returns the end pointer. No allocation.
    char* write_iso(char* out) const noexcept;
};

// Where a plain-text unit (VIF 0x7C/0xFC) puts its length and text.
enum class TextLayout : std::uint8_t {
    none,
    standard,            // EN 13757-3 §6.4.2: VIF(0x7C/0xFC) VIFE… LEN TEXT
    length_before_vife,  // VIF(0xFC) LEN TEXT VIFE…: the CMi1020's Table 6 (ERRATA E-3)
};

struct Record {
    std::uint16_t offset = 0;  // byte offset of the DIF in the frame
    std::uint8_t dif = 0;
    std::uint8_t n_dife = 0;
    std::array<std::uint8_t, kMaxDife> dife{};
    bool has_vib = false;  // false only for the one-byte special records 0x2F (idle filler) and 0x7F (global readout)
    std::uint8_t vif = 0;
    std::uint8_t n_vife = 0;
    std::array<std::uint8_t, kMaxVife> vife{};
    TextLayout text_layout = TextLayout::none;
    Span unit_text{};  // plain-text unit bytes as on the wire (reversed)
    Span vib{};        // VIB bytes as on the wire (VIF, VIFEs, plain-text length and text)
    std::uint8_t lvar = 0;  // LVAR byte when data code is 0xD
    Span data{};            // data field bytes (after LVAR)
    Span raw{};             // whole record

    // From the DIB (EN 13757-3 §6.3)
    std::uint8_t function = 0;  // 0 instantaneous, 1 maximum, 2 minimum, 3 during error state
    std::uint64_t storage = 0;  // DIF bit 6 + 4 bits per DIFE
    std::uint32_t tariff = 0;   // 2 bits per DIFE
    std::uint16_t subunit = 0;  // 1 bit per DIFE

    // Fixed data structure (CI 0x73/0x77): 1 or 2 for its counters, which have no DIB/VIB
    // (dif 0, has_vib false); 0 for every other record.
    std::uint8_t counter = 0;
    std::uint8_t unit_code = 0;  // the counter's 6-bit unit code as sent (0x3E: counter 1's, historic)

    // From the VIB and data
    VibMeaning meaning{};
    ValueKind kind = ValueKind::none;
    Decimal number{};  // register value (integer, BCD, real) before scaling
    Decimal value{};   // number × meaning.scale, in meaning.unit
    DateTime date{};

    [[nodiscard]] std::uint8_t data_code() const noexcept { return dif & 0x0F; }
};

// A recoverable deviation found while decoding (vectors/README.md "violations"): the frame is
// decoded without guessing and the problem is listed. Strict decoding rejects the frame with the
// first violation as its error. `code` is one of is_violation() (error.hpp).
struct Violation {
    ErrorCode code = ErrorCode::bad_bcd;
    std::size_t offset = 0;  // byte offset from the start of the frame
    std::string detail;      // one line, human readable
};

struct DecodeOptions {
    bool strict = false;  // reject a frame with any violation (the first one becomes the error)
};

// A decoded frame. `bytes` holds the whole frame; Spans point into it.
struct Telegram {
    std::vector<std::uint8_t> bytes;
    FrameKind kind = FrameKind::ack;
    CField c{};
    std::uint8_t a = 0;
    std::uint8_t ci = 0;
    Header header{};
    bool has_records = false;        // CI carries a variable data structure
    std::vector<Record> records;
    std::uint8_t special = 0;        // 0, or the special-function DIF that ended the records (0x0F/0x1F)
    Span manufacturer_data{};        // bytes after 0x0F/0x1F
    Span user_data{};                // bytes after CI (and after the header, if any), before CS
    bool selection = false;          // CI 0x52: header holds a selection mask (wildcards allowed)
    std::vector<Violation> violations;  // recoverable deviations, in frame order (empty for a conforming frame)

    [[nodiscard]] std::span<const std::uint8_t> span(Span s) const noexcept { return {bytes.data() + s.off, s.len}; }
    [[nodiscard]] std::string_view text(Span s) const noexcept {
        return {reinterpret_cast<const char*>(bytes.data()) + s.off, s.len};
    }
    [[nodiscard]] bool more_records_follow() const noexcept { return special == 0x1F; }
};

// Decodes one frame (all of `frame`). Returns false and fills `err` on any error; `out` is then
// unspecified. Never throws, never reads out of bounds. Recoverable deviations are accepted and
// listed in `out.violations`; with `opt.strict` the first of them is the error instead.
bool decode(std::span<const std::uint8_t> frame, Telegram& out, DecodeError& err) noexcept;
bool decode(std::span<const std::uint8_t> frame, Telegram& out, DecodeError& err, const DecodeOptions& opt) noexcept;
Telegram decode_or_throw(std::span<const std::uint8_t> frame, const DecodeOptions& opt = {});  // throws DecodeFailure

// Decodes the data records of t.bytes[pos, end) (EN 13757-3 §6, LSB first) into t.records,
// t.special and t.manufacturer_data, and sets t.has_records and t.user_data: the records of a
// frame that is not an EN 13757-2 long frame (wireless M-Bus, metercert/wmbus). Offsets are
// indices into t.bytes. Never throws.
bool decode_records(Telegram& t, std::size_t pos, std::size_t end, DecodeError& err) noexcept;

// A variable data structure on its own, outside any frame (EN 13757-3 §6: data records up to the
// end of `block` or a special function 0x0F/0x1F): the DIB lists of the CMi6110's payloads
// (CMi6110 manual §7.4.2.1, §7.4.2.3 "data value"). `out.bytes` is the block, every offset is into
// it, `out.kind` is long_frame with CI 0 and no header. Errors as decode()'s record errors
// (truncated_record, reserved_dif, …); a block over 65535 bytes is truncated_record at 65535.
bool decode_records(std::span<const std::uint8_t> block, Telegram& out, DecodeError& err) noexcept;

}  // namespace metercert::mbus
