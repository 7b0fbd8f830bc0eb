#include "metercert/mbus/telegram.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

#include <fmt/format.h>

#include "metercert/mbus/bcd.hpp"

namespace metercert::mbus {

std::string_view value_kind_name(ValueKind k) noexcept {
    switch (k) {
        case ValueKind::none: return "none";
        case ValueKind::integer: return "integer";
        case ValueKind::bcd: return "bcd";
        case ValueKind::error_state: return "error_state";
        case ValueKind::real: return "real";
        case ValueKind::date: return "date";
        case ValueKind::text: return "text";
        case ValueKind::binary: return "binary";
    }
    return "unknown";
}

// ---------------------------------------------------------------- date/time (EN 13757-3 Annex A)

namespace {

unsigned full_year(unsigned hundred, unsigned y) noexcept {
    unsigned year = 1900 + 100 * hundred + y;
    if (hundred == 0 && y < 81) year += 100;  // compatibility rule: 00..80 → 2000..2080
    return year;
}

// Year y (0..99) and hundred-year bits for a calendar year.
void split_year(unsigned year, unsigned& y, unsigned& hundred) noexcept {
    const unsigned off = year >= 1900 ? year - 1900 : 0;
    hundred = (off / 100) & 3;
    y = off % 100;
}

}  // namespace

DateTime DateTime::decode(char type, std::uint64_t b) noexcept {
    DateTime d;
    d.type = type;
    d.bits = b;
    auto bits = [&](unsigned lo, unsigned n) { return static_cast<unsigned>((b >> lo) & ((1ull << n) - 1)); };
    switch (type) {
        case 'G': {  // day [0..4], year low [5..7], month [8..11], year high [12..15]
            d.day = static_cast<std::uint8_t>(bits(0, 5));
            d.month = static_cast<std::uint8_t>(bits(8, 4));
            d.year = static_cast<std::uint16_t>(full_year(0, bits(5, 3) | (bits(12, 4) << 3)));
            break;
        }
        case 'J': {  // second [0..5], minute [8..13], hour [16..20]
            d.second = static_cast<std::uint8_t>(bits(0, 6));
            d.minute = static_cast<std::uint8_t>(bits(8, 6));
            d.hour = static_cast<std::uint8_t>(bits(16, 5));
            break;
        }
        case 'F': {  // minute [0..5], IV [7], hour [8..12], hundred-year [13..14], SU [15],
                     // day [16..20], year low [21..23], month [24..27], year high [28..31]
            d.minute = static_cast<std::uint8_t>(bits(0, 6));
            d.invalid = bits(7, 1) != 0;
            d.hour = static_cast<std::uint8_t>(bits(8, 5));
            d.summer_time = bits(15, 1) != 0;
            d.day = static_cast<std::uint8_t>(bits(16, 5));
            d.month = static_cast<std::uint8_t>(bits(24, 4));
            d.year = static_cast<std::uint16_t>(full_year(bits(13, 2), bits(21, 3) | (bits(28, 4) << 3)));
            break;
        }
        case 'I': {  // second [0..5], IV [7], minute [8..13], SU [15], hour [16..20],
                     // day [24..28], year low [29..31], month [32..35], year high [36..39],
                     // hundred-year [46..47]
            d.second = static_cast<std::uint8_t>(bits(0, 6));
            d.invalid = bits(7, 1) != 0;
            d.minute = static_cast<std::uint8_t>(bits(8, 6));
            d.summer_time = bits(15, 1) != 0;
            d.hour = static_cast<std::uint8_t>(bits(16, 5));
            d.day = static_cast<std::uint8_t>(bits(24, 5));
            d.month = static_cast<std::uint8_t>(bits(32, 4));
            d.year = static_cast<std::uint16_t>(full_year(bits(46, 2), bits(29, 3) | (bits(36, 4) << 3)));
            break;
        }
        default: break;  // 'K': kept as bits
    }
    std::uint64_t known = ~0ull;
    switch (type) {
        case 'G': known = 0xFFFF; break;
        case 'J': known = 0x1F3F3F; break;
        case 'F': known = 0xFFFFFFBFull; break;
        case 'I': known = 0xC0FF1F1FBFBFull; break;
        default: break;
    }
    d.extra = b & ~known;
    return d;
}

namespace {
// (low-bits position, high-bits position) of the year field per type; low 3 bits + high 4 bits.
bool year_pos(char type, unsigned& lo, unsigned& hi) noexcept {
    switch (type) {
        case 'G': lo = 5; hi = 12; return true;
        case 'F': lo = 21; hi = 28; return true;
        case 'I': lo = 29; hi = 36; return true;
        default: return false;
    }
}
}  // namespace

unsigned DateTime::year_field() const noexcept {
    unsigned lo = 0, hi = 0;
    if (!year_pos(type, lo, hi)) return 0;
    return static_cast<unsigned>(((bits >> lo) & 7) | (((bits >> hi) & 15) << 3));
}

DateTime DateTime::with_year_field(unsigned y) const noexcept {
    unsigned lo = 0, hi = 0;
    if (!year_pos(type, lo, hi)) return *this;
    std::uint64_t b = bits & ~((7ull << lo) | (15ull << hi));
    b |= (static_cast<std::uint64_t>(y & 7) << lo) | (static_cast<std::uint64_t>((y >> 3) & 15) << hi);
    return decode(type, b);
}

DateTime DateTime::with_extra(std::uint64_t extra_bits) const noexcept { return decode(type, bits | extra_bits); }

DateTime DateTime::make(char type, unsigned year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                        unsigned second, bool invalid, bool summer_time) noexcept {
    unsigned y = 0, hy = 0;
    split_year(year, y, hy);
    std::uint64_t b = 0;
    auto put = [&](std::uint64_t v, unsigned lo, unsigned n) { b |= (v & ((1ull << n) - 1)) << lo; };
    switch (type) {
        case 'G':
            put(day, 0, 5); put(y & 7, 5, 3); put(month, 8, 4); put(y >> 3, 12, 4);
            break;
        case 'J':
            put(second, 0, 6); put(minute, 8, 6); put(hour, 16, 5);
            break;
        case 'F':
            put(minute, 0, 6); put(invalid, 7, 1); put(hour, 8, 5); put(hy, 13, 2); put(summer_time, 15, 1);
            put(day, 16, 5); put(y & 7, 21, 3); put(month, 24, 4); put(y >> 3, 28, 4);
            break;
        case 'I':
            put(second, 0, 6); put(invalid, 7, 1); put(minute, 8, 6); put(summer_time, 15, 1); put(hour, 16, 5);
            put(day, 24, 5); put(y & 7, 29, 3); put(month, 32, 4); put(y >> 3, 36, 4); put(hy, 46, 2);
            break;
        default: break;
    }
    return decode(type, b);
}

unsigned DateTime::hundred_year() const noexcept {
    if (type == 'F') return static_cast<unsigned>((bits >> 13) & 3);
    if (type == 'I') return static_cast<unsigned>((bits >> 46) & 3);
    return 0;
}

DateTime DateTime::with_hundred_year(unsigned hy) const noexcept {
    const unsigned lo = type == 'F' ? 13 : type == 'I' ? 46 : 64;
    if (lo == 64) return *this;
    return decode(type, (bits & ~(3ull << lo)) | (static_cast<std::uint64_t>(hy & 3) << lo));
}

char* DateTime::write_iso(char* out) const noexcept {
    auto put = [&out](unsigned v, int width) {
        for (int i = width - 1; i >= 0; --i) {
            out[i] = static_cast<char>('0' + v % 10);
            v /= 10;
        }
        out += width;
    };
    auto date = [&] {
        put(year, 4);
        *out++ = '-';
        put(month, 2);
        *out++ = '-';
        put(day, 2);
    };
    switch (type) {
        case 'G': date(); break;
        case 'J':
            put(hour, 2); *out++ = ':'; put(minute, 2); *out++ = ':'; put(second, 2);
            break;
        case 'F':
            date(); *out++ = 'T'; put(hour, 2); *out++ = ':'; put(minute, 2);
            break;
        case 'I':
            date(); *out++ = 'T'; put(hour, 2); *out++ = ':'; put(minute, 2); *out++ = ':'; put(second, 2);
            break;
        default:
            for (int i = 7; i >= 0; --i) *out++ = "0123456789ABCDEF"[(bits >> (4 * i)) & 0xF];
            break;
    }
    return out;
}

std::string DateTime::iso() const {
    char buf[32];
    return {buf, write_iso(buf)};
}

// ---------------------------------------------------------------- values

namespace {

bool fail(DecodeError& err, ErrorCode code, std::size_t off, std::string_view what) noexcept {
    err.code = code;
    err.offset = off;
    try {
        err.detail.assign(what);
    } catch (...) {
    }
    return false;
}

template <typename... A>
bool failf(DecodeError& err, ErrorCode code, std::size_t off, fmt::format_string<A...> f, A&&... a) noexcept {
    try {
        return fail(err, code, off, fmt::format(f, std::forward<A>(a)...));
    } catch (...) {
        return fail(err, code, off, "");
    }
}

constexpr std::uint8_t kFixedSize[16] = {0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, 0, 6, 0};

std::uint64_t le(const std::uint8_t* p, std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

// Shortest decimal that round-trips to the same binary32 (exact identification of the float).
Decimal float_decimal(float f) noexcept {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    Decimal d;
    bool neg = false;
    const char* p = buf;
    if (*p == '-') {
        neg = true;
        ++p;
    }
    for (; p < r.ptr && *p != 'e'; ++p) {
        if (*p == '.') continue;
        d.mantissa = d.mantissa * 10 + (*p - '0');
    }
    // digits after the point
    const char* dot = static_cast<const char*>(std::memchr(buf, '.', static_cast<std::size_t>(r.ptr - buf)));
    const char* e = static_cast<const char*>(std::memchr(buf, 'e', static_cast<std::size_t>(r.ptr - buf)));
    int frac = (dot && e) ? static_cast<int>(e - dot - 1) : 0;
    int ex = 0;
    if (e) std::from_chars(e[1] == '+' ? e + 2 : e + 1, r.ptr, ex);
    d.exponent = ex - frac;
    if (neg) d.mantissa = -d.mantissa;
    return d;
}

void scale(Record& r) noexcept {
    r.value = {r.number.mantissa * r.meaning.scale.mantissa, r.number.exponent + r.meaning.scale.exponent};
}

}  // namespace

// ---------------------------------------------------------------- records

namespace {

bool parse_records(Telegram& t, std::size_t pos, std::size_t end, bool msb_first, DecodeError& err) noexcept {
    const std::uint8_t* b = t.bytes.data();
    while (pos < end) {
        const std::size_t start = pos;
        const std::uint8_t dif = b[pos];
        if ((dif & 0x0F) == 0x0F) {
            if (dif == 0x0F || dif == 0x1F) {
                t.special = dif;
                t.manufacturer_data = {static_cast<std::uint16_t>(pos + 1), static_cast<std::uint16_t>(end - pos - 1)};
                return true;
            }
            if (dif == 0x2F || dif == 0x7F) {  // idle filler / global readout request: one byte
                Record& r = t.records.emplace_back();
                r.offset = static_cast<std::uint16_t>(pos);
                r.dif = dif;
                r.raw = {static_cast<std::uint16_t>(pos), 1};
                ++pos;
                continue;
            }
            return failf(err, ErrorCode::reserved_dif, pos, "DIF 0x{:02X} is a reserved special function", dif);
        }
        Record& r = t.records.emplace_back();
        r.offset = static_cast<std::uint16_t>(pos);
        r.dif = dif;
        r.function = (dif >> 4) & 3;
        r.storage = (dif >> 6) & 1;
        ++pos;
        bool ext = dif & 0x80;
        while (ext) {
            if (pos >= end) return fail(err, ErrorCode::truncated_record, pos, "DIFE expected, user data ended");
            if (r.n_dife == kMaxDife)
                return failf(err, ErrorCode::too_many_dife, pos, "record at byte {} has more than 10 DIFEs", start);
            const std::uint8_t e = b[pos++];
            const unsigned i = r.n_dife;
            r.dife[r.n_dife++] = e;
            r.storage |= static_cast<std::uint64_t>(e & 0x0F) << (1 + 4 * i);
            r.tariff |= static_cast<std::uint32_t>((e >> 4) & 3) << (2 * i);
            r.subunit = static_cast<std::uint16_t>(r.subunit | (((e >> 6) & 1u) << i));
            ext = e & 0x80;
        }
        // ---- VIB
        if (pos >= end) return fail(err, ErrorCode::truncated_record, pos, "VIF expected, user data ended");
        r.has_vib = true;
        const std::size_t vib_start = pos;
        r.vif = b[pos++];
        ext = r.vif & 0x80;
        const bool plain = (r.vif & 0x7F) == 0x7C;
        auto read_text = [&]() -> bool {
            if (pos >= end) return fail(err, ErrorCode::truncated_record, pos, "plain-text VIF length expected");
            const std::size_t n = b[pos];
            if (pos + 1 + n > end)
                return failf(err, ErrorCode::truncated_record, pos, "plain-text unit of {} bytes runs past the user data", n);
            r.unit_text = {static_cast<std::uint16_t>(pos + 1), static_cast<std::uint16_t>(n)};
            pos += 1 + n;
            return true;
        };
        if (plain && r.vif == 0xFC && pos < end && b[pos] < 0x20 && pos + 1 + b[pos] < end) {
            // length before the VIFEs (the CMi1020's Table 6): FC LEN TEXT VIFE… — ERRATA E-3.
            r.text_layout = TextLayout::length_before_vife;
            if (!read_text()) return false;
        }
        while (ext) {
            if (pos >= end) return fail(err, ErrorCode::truncated_record, pos, "VIFE expected, user data ended");
            if (r.n_vife == kMaxVife)
                return failf(err, ErrorCode::too_many_vife, pos, "record at byte {} has more than 10 VIFEs", start);
            const std::uint8_t e = b[pos++];
            r.vife[r.n_vife++] = e;
            ext = e & 0x80;
        }
        if (plain && r.text_layout == TextLayout::none) {
            r.text_layout = TextLayout::standard;
            if (!read_text()) return false;
        }
        r.vib = {static_cast<std::uint16_t>(vib_start), static_cast<std::uint16_t>(pos - vib_start)};
        r.meaning = interpret_vib(r.vif, r.vife.data(), r.n_vife);
        if (plain) r.meaning.unit_len = 0;  // the unit is the text itself

        // ---- data field
        const unsigned code = dif & 0x0F;
        std::size_t size = kFixedSize[code];
        if (code == 0x0D) {
            if (pos >= end) return fail(err, ErrorCode::truncated_record, pos, "LVAR expected, user data ended");
            const std::uint8_t lv = b[pos];
            r.lvar = lv;
            if (lv <= 0xBF) size = lv;
            else if (lv <= 0xCF) size = lv - 0xC0u;
            else if (lv <= 0xDF) size = lv - 0xD0u;
            else if (lv <= 0xEF) size = lv - 0xE0u;
            else if (lv <= 0xF4) size = 4u * (lv - 0xECu);
            else if (lv == 0xF5) size = 48;
            else if (lv == 0xF6) size = 64;
            else return failf(err, ErrorCode::reserved_lvar, pos, "LVAR 0x{:02X} is reserved", lv);
            ++pos;
            if (pos + size > end)
                return failf(err, ErrorCode::lvar_overflow, pos - 1, "LVAR 0x{:02X} announces {} bytes, {} left", lv, size,
                             end - pos);
        } else if (pos + size > end) {
            return failf(err, ErrorCode::truncated_record, pos, "data field of {} bytes (DIF 0x{:02X}) runs past the user data",
                         size, dif);
        }
        r.data = {static_cast<std::uint16_t>(pos), static_cast<std::uint16_t>(size)};
        const std::uint8_t* p = b + pos;
        std::uint8_t tmp[8];
        if (msb_first && size > 1 && size <= 8 && code != 0x0D) {
            for (std::size_t i = 0; i < size; ++i) tmp[i] = p[size - 1 - i];
            p = tmp;
        }
        pos += size;
        r.raw = {static_cast<std::uint16_t>(start), static_cast<std::uint16_t>(pos - start)};

        switch (code) {
            case 0x0: case 0x8: r.kind = ValueKind::none; break;
            case 0x1: case 0x2: case 0x3: case 0x4: case 0x6: case 0x7: {
                const std::uint64_t u = le(p, size);
                const DateHint h = r.meaning.date;
                if (h != DateHint::none && (size == 2 || size == 3 || size == 4 || size == 6)) {
                    char type = size == 2 ? 'G' : size == 3 ? 'J' : size == 6 ? 'I' : (h == DateHint::dst ? 'K' : 'F');
                    r.kind = ValueKind::date;
                    r.date = DateTime::decode(type, u);
                    break;
                }
                r.kind = ValueKind::integer;
                if (r.meaning.bitfield || size == 8) {
                    r.number = {r.meaning.bitfield ? static_cast<i128>(u) : static_cast<i128>(static_cast<std::int64_t>(u)), 0};
                } else {
                    const unsigned shift = static_cast<unsigned>(64 - 8 * size);
                    r.number = {static_cast<i128>(static_cast<std::int64_t>(u << shift) >> shift), 0};
                }
                scale(r);
                break;
            }
            case 0x5: {
                std::uint32_t u32 = static_cast<std::uint32_t>(le(p, 4));
                float f;
                std::memcpy(&f, &u32, 4);
                // NaN, ±Inf and −0.0 have no exact decimal (ERRATA E-7): bytes kept, no number
                r.kind = std::isfinite(f) && !(f == 0.0f && std::signbit(f)) ? ValueKind::real : ValueKind::error_state;
                if (r.kind == ValueKind::real) {
                    r.number = float_decimal(f);
                    scale(r);
                }
                break;
            }
            case 0x9: case 0xA: case 0xB: case 0xC: case 0xE:
                r.kind = read_bcd(p, size, r.number) ? ValueKind::bcd : ValueKind::error_state;
                if (r.kind == ValueKind::bcd) scale(r);
                break;
            case 0xD: {
                const std::uint8_t lv = r.lvar;
                if (lv <= 0xBF) {
                    r.kind = ValueKind::text;
                } else if (lv <= 0xDF) {
                    r.kind = read_bcd(p, size, r.number, false) ? ValueKind::bcd : ValueKind::error_state;
                    if (r.kind == ValueKind::bcd) {
                        if (lv >= 0xD0) r.number.mantissa = -r.number.mantissa;
                        scale(r);
                    }
                } else {
                    r.kind = ValueKind::binary;
                }
                break;
            }
            default: break;
        }
    }
    return true;
}

}  // namespace

namespace {

// Records a recoverable deviation (vectors/README.md "violations"). Strict decoding stops at the
// first one: it becomes the error and decoding returns false.
template <typename... A>
bool violation(Telegram& t, DecodeError& err, bool strict, ErrorCode code, std::size_t off, fmt::format_string<A...> f,
               A&&... a) noexcept {
    try {
        std::string detail = fmt::format(f, std::forward<A>(a)...);
        if (strict) return fail(err, code, off, detail);
        t.violations.push_back({code, off, std::move(detail)});
        return true;
    } catch (...) {
        return fail(err, ErrorCode::bad_model, 0, "out of memory");
    }
}

// Identification number (EN 13757-3 §5.3): 8 BCD digits. A digit A–F (real electricity meters
// send them) is kept as sent and listed once, at the first byte that holds one (ERRATA E-7).
bool check_id(Telegram& t, DecodeError& err, bool strict, std::size_t at) noexcept {
    const std::uint8_t* b = t.bytes.data();
    for (std::size_t i = 0; i < 4; ++i)
        if (!is_bcd_byte(b[at + i]))
            return violation(t, err, strict, ErrorCode::bad_bcd, at + i,
                             "identification number byte 0x{:02X} is not BCD (digits kept as sent)", b[at + i]);
    return true;
}

// Manufacturer (EN 13757-3 §5.5): three letters A..Z in 5 bits each.
bool check_manufacturer(Telegram& t, DecodeError& err, bool strict, std::size_t at, std::uint16_t code) noexcept {
    for (unsigned shift : {10u, 5u, 0u}) {
        const unsigned l = (code >> shift) & 0x1F;
        if (l == 0 || l > 26)
            return violation(t, err, strict, ErrorCode::bad_manufacturer, at,
                             "manufacturer code 0x{:04X} has a letter outside A..Z ({})", code, l);
    }
    return true;
}

// Fixed data structure (CI 0x73 / 0x77): layout and sources in telegram.hpp.
bool parse_fixed(Telegram& t, std::size_t pos, std::size_t end, bool msb_first, bool strict, DecodeError& err) noexcept {
    const std::uint8_t* b = t.bytes.data();
    if (end - pos < kFixedDataSize)
        return failf(err, ErrorCode::truncated_header, end, "CI 0x{:02X} needs the 16 bytes of the fixed data structure, user data has {}",
                     t.ci, end - pos);
    if (end - pos > kFixedDataSize)
        return failf(err, ErrorCode::bad_fixed_length, pos + kFixedDataSize,
                     "CI 0x{:02X}: the fixed data structure is 16 bytes, user data has {}", t.ci, end - pos);
    auto field = [&](std::size_t at, std::size_t n) {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i) v = (v << 8) | b[msb_first ? at + i : at + n - 1 - i];
        return v;
    };
    if (!check_id(t, err, strict, pos)) return false;
    Header& h = t.header;
    h.kind = Header::Kind::fixed;
    h.id = static_cast<std::uint32_t>(field(pos, 4));
    h.access_number = b[pos + 4];
    h.status = b[pos + 5];
    const auto mu = static_cast<unsigned>(field(pos + 6, 2));
    h.medium = static_cast<std::uint8_t>(((mu >> 6) & 3) | (((mu >> 14) & 3) << 2));
    const std::uint8_t unit[2] = {static_cast<std::uint8_t>(mu & 0x3F), static_cast<std::uint8_t>((mu >> 8) & 0x3F)};
    const std::size_t unit_at[2] = {pos + 6 + (msb_first ? 1 : 0), pos + 6 + (msb_first ? 0 : 1)};  // byte holding each unit
    if ((h.medium == 0x9 || h.medium == 0xF) &&
        !violation(t, err, strict, ErrorCode::reserved_fixed_code, pos + 6, "fixed data medium 0x{:X} is reserved", h.medium))
        return false;
    try {
        t.records.resize(2);
    } catch (...) {
        return fail(err, ErrorCode::bad_model, 0, "out of memory");
    }
    for (unsigned i = 0; i < 2; ++i) {
        Record& r = t.records[i];
        const std::size_t at = pos + 8 + 4 * i;
        r.offset = static_cast<std::uint16_t>(at);
        r.counter = static_cast<std::uint8_t>(i + 1);
        r.unit_code = unit[i];
        r.data = r.raw = {static_cast<std::uint16_t>(at), 4};
        r.storage = (h.status & kFixedStatusFixedDate) ? 1 : 0;
        const bool historic = i == 1 && unit[1] == kFixedUnitSameButHistoric;  // counter 1's unit, stored value
        r.meaning = fixed_unit(historic ? unit[0] : unit[i]);
        if (historic) r.storage = 1;
        // 3A–3D are reserved; 3E ("same but historic") refers to counter 1, so counter 1 cannot use it
        const bool reserved = (unit[i] >= 0x3A && unit[i] <= 0x3D) || (i == 0 && unit[0] == kFixedUnitSameButHistoric);
        if (reserved && !violation(t, err, strict, ErrorCode::reserved_fixed_code, unit_at[i],
                                   "unit code 0x{:02X} of counter {} is reserved", unit[i], i + 1))
            return false;
        std::uint8_t reg[4];
        for (std::size_t k = 0; k < 4; ++k) reg[k] = b[msb_first ? at + 3 - k : at + k];  // LSB first
        if (h.status & kFixedStatusBinary) {  // type B: signed binary integer
            r.kind = ValueKind::integer;
            r.number = {static_cast<i128>(static_cast<std::int32_t>(le(reg, 4))), 0};
            scale(r);
        } else {  // type A: BCD (Annex B: hex digits make the value one in error state)
            r.kind = read_bcd(reg, 4, r.number) ? ValueKind::bcd : ValueKind::error_state;
            if (r.kind == ValueKind::bcd) scale(r);
        }
    }
    t.has_records = true;
    t.user_data = {static_cast<std::uint16_t>(pos), static_cast<std::uint16_t>(kFixedDataSize)};
    return true;
}

// `t` holds `bytes` and nothing decoded yet (its vectors keep their capacity).
bool start(std::span<const std::uint8_t> bytes, Telegram& t, DecodeError& err) noexcept {
    try {
        t.bytes.assign(bytes.begin(), bytes.end());
        t.records.clear();
        t.violations.clear();
    } catch (...) {
        return fail(err, ErrorCode::bad_model, 0, "out of memory");
    }
    t.header = {};
    t.special = 0;
    t.manufacturer_data = {};
    t.user_data = {};
    t.has_records = false;
    t.selection = false;
    return true;
}

bool decode_impl(std::span<const std::uint8_t> frame, Telegram& t, DecodeError& err, bool strict) noexcept {
    if (!start(frame, t, err)) return false;
    LinkFrame lf;
    if (!parse_link(t.bytes, lf, err)) return false;
    t.kind = lf.kind;
    t.c = lf.c;
    t.a = lf.a;
    t.ci = lf.ci;
    if (lf.kind != FrameKind::long_frame) return true;

    const std::uint8_t* b = t.bytes.data();
    std::size_t pos = 7;
    const std::size_t end = 7 + lf.user_data.size();
    const CiInfo ci = ci_info(lf.ci);
    if (ci.fixed) return parse_fixed(t, pos, end, ci.msb_first, strict, err);
    Header& h = t.header;
    auto field = [&](std::size_t at, std::size_t n) {
        if (!ci.msb_first) return le(b + at, n);
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i) v = (v << 8) | b[at + i];
        return v;
    };
    if (ci.header == 12) {
        if (end - pos < 12)
            return failf(err, ErrorCode::truncated_header, end, "CI 0x{:02X} needs a 12-byte header, user data has {}",
                         lf.ci, end - pos);
        h.kind = Header::Kind::long_header;
        h.id = static_cast<std::uint32_t>(field(pos, 4));
        h.manufacturer = static_cast<std::uint16_t>(field(pos + 4, 2));
        h.version = b[pos + 6];
        h.medium = b[pos + 7];
        h.access_number = b[pos + 8];
        h.status = b[pos + 9];
        h.signature = static_cast<std::uint16_t>(field(pos + 10, 2));
        if (!check_id(t, err, strict, pos) || !check_manufacturer(t, err, strict, pos + 4, h.manufacturer)) return false;
        pos += 12;
    } else if (ci.header == 4) {
        if (end - pos < 4)
            return failf(err, ErrorCode::truncated_header, end, "CI 0x{:02X} needs a 4-byte header, user data has {}",
                         lf.ci, end - pos);
        h.kind = Header::Kind::short_header;
        h.access_number = b[pos];
        h.status = b[pos + 1];
        h.signature = static_cast<std::uint16_t>(field(pos + 2, 2));
        pos += 4;
    } else if (lf.ci == 0x52) {
        t.selection = true;  // selection mask (CMi1020 §6.7.7): wildcards, any length 0..8
    }
    t.user_data = {static_cast<std::uint16_t>(pos), static_cast<std::uint16_t>(end - pos)};
    if (!ci.records) return true;
    t.has_records = true;
    return parse_records(t, pos, end, ci.msb_first, err);
}

}  // namespace

bool decode(std::span<const std::uint8_t> frame, Telegram& t, DecodeError& err) noexcept {
    return decode_impl(frame, t, err, false);
}

bool decode(std::span<const std::uint8_t> frame, Telegram& t, DecodeError& err, const DecodeOptions& opt) noexcept {
    return decode_impl(frame, t, err, opt.strict);
}

bool decode_records(Telegram& t, std::size_t pos, std::size_t end, DecodeError& err) noexcept {
    try {
        t.records.clear();
    } catch (...) {
    }
    t.special = 0;
    t.manufacturer_data = {};
    if (pos > end || end > t.bytes.size()) return fail(err, ErrorCode::truncated_record, end, "record range outside the frame");
    t.has_records = true;
    t.user_data = {static_cast<std::uint16_t>(pos), static_cast<std::uint16_t>(end - pos)};
    return parse_records(t, pos, end, false, err);
}

bool decode_records(std::span<const std::uint8_t> block, Telegram& t, DecodeError& err) noexcept {
    if (!start(block, t, err)) return false;
    t.kind = FrameKind::long_frame;
    t.c = {};
    t.a = 0;
    t.ci = 0;
    if (block.size() > 0xFFFF) return fail(err, ErrorCode::truncated_record, 0xFFFF, "a record block of more than 65535 bytes");
    return decode_records(t, 0, block.size(), err);
}

Telegram decode_or_throw(std::span<const std::uint8_t> frame, const DecodeOptions& opt) {
    Telegram t;
    DecodeError err;
    if (!decode(frame, t, err, opt)) throw DecodeFailure(std::move(err));
    return t;
}

}  // namespace metercert::mbus
