#include "metercert/mbus/json.hpp"

#include <charconv>
#include <cctype>
#include <cmath>
#include <cstring>

namespace metercert::mbus {

namespace {

constexpr char kHex[] = "0123456789ABCDEF";

// Writes through a raw pointer into a caller's buffer that is large enough for one record
// (or the frame head): one bounds-free pass, then a single append to the output string.
struct Out {
    char* p;
    void lit(std::string_view v) {
        std::memcpy(p, v.data(), v.size());
        p += v.size();
    }
    void hex(const std::uint8_t* d, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            *p++ = kHex[d[i] >> 4];
            *p++ = kHex[d[i] & 0xF];
        }
    }
    void qhex(const std::uint8_t* d, std::size_t n) {
        *p++ = '"';
        hex(d, n);
        *p++ = '"';
    }
    void qbyte(std::uint8_t b) { qhex(&b, 1); }
    void num(std::uint64_t v) { p = std::to_chars(p, p + 24, v).ptr; }
    void boolean(bool b) { lit(b ? std::string_view("true") : std::string_view("false")); }
    // Our own identifiers/units (UTF-8, no characters that need escaping).
    void str(std::string_view v) {
        *p++ = '"';
        lit(v);
        *p++ = '"';
    }
    // Device bytes: ISO 8859-1 → JSON string (control characters and non-ASCII as \u00XX).
    void bytes_str(std::string_view v, bool reversed) {
        *p++ = '"';
        const std::size_t n = v.size();
        for (std::size_t k = 0; k < n; ++k) {
            const auto c = static_cast<unsigned char>(reversed ? v[n - 1 - k] : v[k]);
            if (c == '"' || c == '\\') {
                *p++ = '\\';
                *p++ = static_cast<char>(c);
            } else if (c < 0x20 || c >= 0x7F) {
                const char e[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
                lit({e, 6});
            } else {
                *p++ = static_cast<char>(c);
            }
        }
        *p++ = '"';
    }
    void decimal(const Decimal& d) {
        *p++ = '"';
        p = d.write(p);  // d.max_chars() ≤ 512 for every decoded value, see kRecordMax
        *p++ = '"';
    }
};

// Upper bound of one record's JSON: hex of ≤ 255 frame bytes twice, escaped text ≤ 6 × 255
// twice, ten qualifiers, a decimal value (a float's exponent −45…38 plus a VIB scale of at most
// ±60 gives max_chars() < 200), fixed keys.
constexpr std::size_t kRecordMax = 2 * 510 + 2 * 6 * 255 + 10 * 64 + 512 + 1024;

std::string_view type_name(const Record& r) {
    static constexpr std::string_view kCode[16] = {"none", "int8", "int16", "int24", "int32", "real32",
                                                   "int48", "int64", "selection", "bcd2", "bcd4", "bcd6",
                                                   "bcd8", "lvar", "bcd12", "special"};
    if (r.counter) return r.kind == ValueKind::integer ? "int32" : "bcd8";  // fixed data structure counter
    if (r.kind == ValueKind::date) {
        switch (r.date.type) {
            case 'G': return "date_g";
            case 'J': return "time_j";
            case 'F': return "datetime_f";
            case 'K': return "dst_k";
            default: return "datetime_i";
        }
    }
    if (r.data_code() == 0x0D) {
        if (r.lvar <= 0xBF) return "text";
        if (r.lvar <= 0xDF) return "bcd_lvar";
        return "binary";
    }
    return kCode[r.data_code()];
}

// A counter of the fixed data structure (CI 0x73/0x77): no DIB/VIB; `unit_code` is the 6-bit
// code as sent (telegram.hpp), `raw` the four counter bytes as sent.
void counter_json(Out& o, const Telegram& t, const Record& r) {
    o.lit("{\"counter\":");
    o.num(r.counter);
    o.lit(",\"function\":");
    o.str(function_name(r.function));
    o.lit(",\"storage\":");
    o.num(r.storage);
    o.lit(",\"tariff\":0,\"subunit\":0,\"type\":");
    o.str(type_name(r));
    o.lit(",\"quantity\":");
    o.str(r.meaning.quantity);
    o.lit(",\"unit\":");
    o.str(r.meaning.unit_view());
    o.lit(",\"value\":");
    if (r.kind == ValueKind::integer || r.kind == ValueKind::bcd) o.decimal(r.value);
    else o.lit("null");
    if (r.kind == ValueKind::error_state) {  // the digits as sent, most significant first
        const bool msb_first = ci_info(t.ci).msb_first;
        o.lit(",\"error_digits\":\"");
        for (std::size_t i = 0; i < 4; ++i) o.hex(t.bytes.data() + r.data.off + (msb_first ? i : 3 - i), 1);
        o.lit("\"");
    }
    o.lit(",\"unit_code\":");
    o.qbyte(r.unit_code);
    o.lit(",\"raw\":");
    o.qhex(t.bytes.data() + r.raw.off, r.raw.len);
    o.lit("}");
}

void record_json(Out& o, const Telegram& t, const Record& r) {
    if (r.counter) return counter_json(o, t, r);
    o.lit("{\"dif\":\"");
    o.hex(&r.dif, 1);
    o.hex(r.dife.data(), r.n_dife);
    o.lit("\"");
    if (!r.has_vib) {
        o.lit(r.dif == 0x2F ? ",\"special\":\"idle_filler\"" : ",\"special\":\"global_readout\"");
    } else {
        o.lit(",\"vif\":");
        o.qhex(t.bytes.data() + r.vib.off, r.vib.len);
        o.lit(",\"function\":");
        o.str(function_name(r.function));
        o.lit(",\"storage\":");
        o.num(r.storage);
        o.lit(",\"tariff\":");
        o.num(r.tariff);
        o.lit(",\"subunit\":");
        o.num(r.subunit);
        o.lit(",\"type\":");
        o.str(type_name(r));
        o.lit(",\"quantity\":");
        o.str(r.meaning.quantity);
        o.lit(",\"unit\":");
        if (r.text_layout != TextLayout::none) o.bytes_str(t.text(r.unit_text), true);
        else o.str(r.meaning.unit_view());
        o.lit(",\"value\":");
        switch (r.kind) {
            case ValueKind::none: o.lit("null"); break;
            case ValueKind::integer:
            case ValueKind::bcd:
            case ValueKind::real: o.decimal(r.value); break;
            case ValueKind::error_state: o.lit("null"); break;
            case ValueKind::date: {
                char buf[32];
                buf[0] = '"';
                char* e = r.date.write_iso(buf + 1);
                *e++ = '"';
                o.lit({buf, static_cast<std::size_t>(e - buf)});
                break;
            }
            case ValueKind::text: o.bytes_str(t.text(r.data), true); break;
            case ValueKind::binary: o.qhex(t.bytes.data() + r.data.off, r.data.len); break;
        }
        if (r.kind == ValueKind::date && (r.date.type == 'F' || r.date.type == 'I')) {
            o.lit(",\"invalid\":");
            o.boolean(r.date.invalid);
            o.lit(",\"summer_time\":");
            o.boolean(r.date.summer_time);
            o.lit(",\"hundred_year\":");
            o.num(r.date.hundred_year());
        }
        if (r.kind == ValueKind::date && r.date.year_field() > 99) {
            o.lit(",\"year_field\":");
            o.num(r.date.year_field());
        }
        if (r.kind == ValueKind::date && r.date.extra != 0) {
            char buf[24];
            auto e = std::to_chars(buf, buf + sizeof buf, r.date.extra, 16);
            o.lit(",\"extra_bits\":\"");
            for (char* c = buf; c < e.ptr; ++c) *c = static_cast<char>(std::toupper(static_cast<unsigned char>(*c)));
            o.lit({buf, static_cast<std::size_t>(e.ptr - buf)});
            o.lit("\"");
        }
        if (r.kind == ValueKind::error_state && r.data_code() != 0x5) {
            o.lit(",\"error_digits\":\"");
            for (std::size_t i = r.data.len; i-- > 0;) o.hex(t.bytes.data() + r.data.off + i, 1);
            o.lit("\"");
        }
        // Qualifiers: combinable VIFEs (after the extension-table code of 0xFB/0xFD).
        const unsigned p = r.vif & 0x7Fu;
        std::size_t first = (p == 0x7B || p == 0x7D || p == 0x6F) ? 1 : 0;
        if (p == 0x7F) first = r.n_vife;  // manufacturer-specific VIFEs: no meaning
        if (first < r.n_vife) {
            o.lit(",\"qualifiers\":[");
            bool comma = false;
            for (std::size_t i = first; i < r.n_vife; ++i) {
                const std::uint8_t v = r.vife[i] & 0x7F;
                if (v >= 0x70 && v <= 0x77) continue;  // scale, already applied
                if (v == 0x7D) continue;
                if (v >= 0x20 && v <= 0x38 && v != 0x27 && !(v >= 0x28 && v <= 0x2B)) continue;  // unit, applied
                if (comma) o.lit(",");
                o.str(vife_description_view(v));
                comma = true;
                if (v == 0x7F) break;
            }
            o.lit("]");
        }
    }
    o.lit(",\"raw\":");
    o.qhex(t.bytes.data() + r.raw.off, r.raw.len);
    o.lit("}");
}

// Recoverable deviations (vectors/README.md): present only when there is one. Details are our
// own ASCII text (a few hundred bytes at most for the few kinds that exist).
void violations_json(Out& o, const Telegram& t) {
    if (t.violations.empty()) return;
    o.lit(",\"violations\":[");
    for (std::size_t i = 0; i < t.violations.size(); ++i) {
        const Violation& v = t.violations[i];
        if (i) o.lit(",");
        o.lit("{\"name\":");
        o.str(error_name(v.code));
        o.lit(",\"offset\":");
        o.num(v.offset);
        o.lit(",\"detail\":");
        o.bytes_str(std::string_view(v.detail).substr(0, 200), false);
        o.lit("}");
    }
    o.lit("]");
}

}  // namespace

void to_json(const Telegram& t, std::string& s) {
    char buf[kRecordMax];
    Out o{buf};
    auto flush = [&] {
        s.append(buf, static_cast<std::size_t>(o.p - buf));
        o.p = buf;
    };
    o.lit("{\"frame\":");
    o.str(frame_kind_name(t.kind));
    if (t.kind == FrameKind::ack) {
        o.lit("}");
        return flush();
    }
    o.lit(",\"c\":");
    o.qbyte(t.c.raw);
    o.lit(",\"c_name\":");
    o.str(t.c.name());
    o.lit(",\"prm\":");
    o.boolean(t.c.prm());
    o.lit(",\"fcb_acd\":");
    o.boolean((t.c.raw & 0x20) != 0);
    o.lit(",\"fcv_dfc\":");
    o.boolean((t.c.raw & 0x10) != 0);
    o.lit(",\"a\":");
    o.num(t.a);
    o.lit(",\"address_kind\":");
    o.str(address_kind_name(address_kind(t.a)));
    if (t.kind == FrameKind::short_frame) {
        o.lit("}");
        return flush();
    }
    const CiInfo ci = ci_info(t.ci);
    o.lit(",\"ci\":");
    o.qbyte(t.ci);
    o.lit(",\"ci_name\":");
    o.str(ci.name);
    if (auto baud = ci_baud_rate(t.ci)) {
        o.lit(",\"baud\":");
        o.num(*baud);
    }
    if (t.kind == FrameKind::control_frame) {
        o.lit("}");
        return flush();
    }
    const Header& h = t.header;
    // "id":"…" (8 digits as sent), and "access_number", "status", "status_flags" (both header kinds)
    auto write_id = [&] {
        char id[8];
        for (int i = 0; i < 8; ++i) id[i] = kHex[(h.id >> (28 - 4 * i)) & 0xF];
        o.lit("\"id\":\"");
        o.lit({id, 8});
        o.lit("\"");
    };
    auto write_status = [&](std::size_t (*flags_of)(std::uint8_t, std::string_view*)) {
        o.lit("\"access_number\":");
        o.num(h.access_number);
        o.lit(",\"status\":");
        o.qbyte(h.status);
        o.lit(",\"status_flags\":[");
        std::string_view flags[8];
        const std::size_t nf = flags_of(h.status, flags);
        for (std::size_t i = 0; i < nf; ++i) {
            if (i) o.lit(",");
            o.str(flags[i]);
        }
        o.lit("]");
    };
    if (h.kind == Header::Kind::fixed) {
        o.lit(",\"header\":{");
        write_id();
        o.lit(",");
        write_status(fixed_status_flags);
        o.lit(",\"medium\":");
        o.qbyte(h.medium);
        o.lit(",\"medium_name\":");
        o.str(fixed_medium_name(h.medium));
        o.lit("}");
    } else if (h.kind != Header::Kind::none) {
        o.lit(",\"header\":{");
        if (h.kind == Header::Kind::long_header) {
            write_id();
            o.lit(",\"manufacturer\":");
            char m[3] = {static_cast<char>('@' + ((h.manufacturer >> 10) & 0x1F)),
                         static_cast<char>('@' + ((h.manufacturer >> 5) & 0x1F)),
                         static_cast<char>('@' + (h.manufacturer & 0x1F))};
            o.bytes_str({m, 3}, false);  // '\\' and '[' occur for codes outside A..Z
            o.lit(",\"manufacturer_code\":\"");
            char mc[4] = {kHex[(h.manufacturer >> 12) & 0xF], kHex[(h.manufacturer >> 8) & 0xF], kHex[(h.manufacturer >> 4) & 0xF],
                          kHex[h.manufacturer & 0xF]};
            o.lit({mc, 4});
            o.lit("\",\"version\":");
            o.num(h.version);
            o.lit(",\"medium\":");
            o.qbyte(h.medium);
            o.lit(",\"medium_name\":");
            o.str(medium_name(h.medium));
            o.lit(",");
        }
        write_status(status_flags);
        o.lit(",\"signature\":\"");
        char sig[4] = {kHex[(h.signature >> 12) & 0xF], kHex[(h.signature >> 8) & 0xF], kHex[(h.signature >> 4) & 0xF],
                       kHex[h.signature & 0xF]};
        o.lit({sig, 4});
        o.lit("\"}");
    }
    if (!t.has_records) {
        o.lit(t.selection ? ",\"selection\":" : ",\"user_data\":");
        o.qhex(t.bytes.data() + t.user_data.off, t.user_data.len);
        if (t.ci == 0x70 && t.user_data.len > 0) {  // EN 13757-3 application error report: first byte is the code
            o.lit(",\"application_error\":");
            o.str(application_error_name(t.bytes[t.user_data.off]));
        }
        violations_json(o, t);
        o.lit("}");
        return flush();
    }
    o.lit(",");
    flush();
    records_to_json(t, s);
    s.push_back('}');
}

void records_to_json(const Telegram& t, std::string& s) {
    char buf[kRecordMax];
    Out o{buf};
    auto flush = [&] {
        s.append(buf, static_cast<std::size_t>(o.p - buf));
        o.p = buf;
    };
    o.lit("\"records\":[");
    flush();
    for (std::size_t i = 0; i < t.records.size(); ++i) {
        if (i) o.lit(",");
        record_json(o, t, t.records[i]);
        flush();
    }
    o.lit("]");
    if (t.special) {
        o.lit(",\"special\":");
        o.qbyte(t.special);
        o.lit(",\"manufacturer_data\":");
        o.qhex(t.bytes.data() + t.manufacturer_data.off, t.manufacturer_data.len);
    }
    flush();
    violations_json(o, t);
    flush();
}

std::string to_json(const Telegram& t) {
    std::string s;
    s.reserve(256 + 256 * t.records.size());
    to_json(t, s);
    return s;
}

}  // namespace metercert::mbus
