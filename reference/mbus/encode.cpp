#include "metercert/mbus/encode.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "metercert/mbus/bcd.hpp"

namespace metercert::mbus {

namespace {

[[noreturn]] void bad(ErrorCode code, std::string detail) { throw DecodeFailure({code, 0, std::move(detail)}); }

std::string i128_string(i128 v) { return Decimal{v, 0}.to_string(); }

void put_le(std::vector<std::uint8_t>& out, std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

// BCD register of n bytes (bcd.hpp), or value_out_of_range.
void put_bcd(std::vector<std::uint8_t>& out, i128 v, std::size_t n) {
    if (!append_bcd(out, v, n))
        bad(ErrorCode::value_out_of_range, fmt::format("{} does not fit {} BCD digits", i128_string(v), 2 * n - (v < 0 ? 1 : 0)));
}

i128 integral(const Value& v) {
    auto r = v.number.scaled_to(0);
    if (!r) bad(ErrorCode::value_out_of_range, fmt::format("{} is not an integer register value", v.number.to_string()));
    return *r;
}

std::size_t date_size(char type) {
    switch (type) {
        case 'G': return 2;
        case 'J': return 3;
        case 'F': case 'K': return 4;
        case 'I': return 6;
        default: return 0;
    }
}

}  // namespace

void encode_value(std::uint8_t dif, const Value& v, std::uint8_t lvar_hint, std::vector<std::uint8_t>& out) {
    static constexpr std::uint8_t kSize[16] = {0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, 0, 6, 0};
    const unsigned code = dif & 0x0F;
    const std::size_t n = kSize[code];
    switch (code) {
        case 0x0: case 0x8:
            if (v.kind != ValueKind::none) bad(ErrorCode::bad_model, fmt::format("DIF 0x{:02X} carries no data", dif));
            return;
        case 0x1: case 0x2: case 0x3: case 0x4: case 0x6: case 0x7: {
            if (v.kind == ValueKind::date) {
                if (date_size(v.date.type) != n)
                    bad(ErrorCode::bad_model, fmt::format("date type {} does not fit DIF 0x{:02X}", v.date.type, dif));
                return put_le(out, v.date.bits, n);
            }
            if (v.kind != ValueKind::integer)
                bad(ErrorCode::bad_model, fmt::format("DIF 0x{:02X} needs an integer or date value", dif));
            const i128 x = integral(v);
            const i128 lo = -(static_cast<i128>(1) << (8 * n - 1));
            const i128 hi = (static_cast<i128>(1) << (8 * n)) - 1;  // signed or unsigned register
            if (x < lo || x > hi)
                bad(ErrorCode::value_out_of_range, fmt::format("{} does not fit a {}-bit integer", i128_string(x), 8 * n));
            return put_le(out, static_cast<std::uint64_t>(x), n);
        }
        case 0x5: {
            if (v.kind != ValueKind::real && v.kind != ValueKind::integer)
                bad(ErrorCode::bad_model, "DIF code 5 needs a real value");
            const std::string s = v.number.to_string();
            const float f = std::strtof(s.c_str(), nullptr);  // correctly rounded (glibc)
            std::uint32_t u;
            std::memcpy(&u, &f, 4);
            return put_le(out, u, 4);
        }
        case 0x9: case 0xA: case 0xB: case 0xC: case 0xE:
            if (v.kind != ValueKind::bcd && v.kind != ValueKind::integer)
                bad(ErrorCode::bad_model, fmt::format("DIF 0x{:02X} needs a BCD value", dif));
            return put_bcd(out, integral(v), n);
        case 0xD: {
            if (v.kind == ValueKind::text) {
                if (v.bytes.size() > 0xBF) bad(ErrorCode::value_out_of_range, "text longer than 191 bytes");
                out.push_back(static_cast<std::uint8_t>(v.bytes.size()));
                for (auto it = v.bytes.rbegin(); it != v.bytes.rend(); ++it) out.push_back(static_cast<std::uint8_t>(*it));
                return;
            }
            if (v.kind == ValueKind::bcd || v.kind == ValueKind::integer) {
                const i128 x = integral(v);
                const bool hinted = lvar_hint >= 0xC0 && lvar_hint <= 0xDF;
                std::size_t bytes = hinted ? (lvar_hint & 0x0F) : 0;
                if (!hinted) {
                    u128 m = x < 0 ? static_cast<u128>(-x) : static_cast<u128>(x);
                    std::size_t digits = 1;
                    while (m >= 10) {
                        m /= 10;
                        ++digits;
                    }
                    bytes = (digits + 1) / 2;
                }
                if (bytes > 15) bad(ErrorCode::value_out_of_range, "BCD LVAR holds at most 30 digits");
                // zero keeps the LVAR's sign (C0/D0 both mean 0)
                const bool negative = x < 0 || (x == 0 && hinted && lvar_hint >= 0xD0);
                out.push_back(static_cast<std::uint8_t>((negative ? 0xD0 : 0xC0) + bytes));
                // LVAR BCD carries the sign in the LVAR itself: digits are unsigned.
                return put_bcd(out, x < 0 ? -x : x, bytes);
            }
            if (v.kind == ValueKind::binary) {
                const std::size_t len = v.bytes.size();
                std::uint8_t lv = 0;
                if (lvar_hint >= 0xE0) {
                    lv = lvar_hint;
                } else if (len <= 15) {
                    lv = static_cast<std::uint8_t>(0xE0 + len);
                } else if (len % 4 == 0 && len >= 16 && len <= 32) {
                    lv = static_cast<std::uint8_t>(0xEC + len / 4);
                } else if (len == 48) {
                    lv = 0xF5;
                } else if (len == 64) {
                    lv = 0xF6;
                } else {
                    bad(ErrorCode::value_out_of_range, fmt::format("no LVAR encodes a binary of {} bytes", len));
                }
                const std::size_t want = lv <= 0xEF ? lv - 0xE0u : lv <= 0xF4 ? 4u * (lv - 0xECu) : lv == 0xF5 ? 48 : 64;
                if (want != len || lv > 0xF6)
                    bad(ErrorCode::value_out_of_range, fmt::format("LVAR 0x{:02X} does not hold {} bytes", lv, len));
                out.push_back(lv);
                out.insert(out.end(), v.bytes.begin(), v.bytes.end());
                return;
            }
            bad(ErrorCode::bad_model, "DIF code 0xD needs text, BCD or binary");
        }
        default:
            bad(ErrorCode::bad_model, fmt::format("DIF 0x{:02X} is a special function, not a data record", dif));
    }
}

namespace {
void check_id(std::uint32_t id, bool keep_violations) {
    if (!keep_violations && !is_bcd(id)) bad(ErrorCode::bad_bcd, fmt::format("identification number {:08X} is not BCD", id));
}
}  // namespace

std::vector<std::uint8_t> fixed_user_data(const Header& h, const std::uint8_t (&unit)[2], const Value (&counter)[2],
                                          bool msb_first, bool keep_violations) {
    check_id(h.id, keep_violations);
    if (h.medium > 0x0F) bad(ErrorCode::value_out_of_range, fmt::format("fixed data medium 0x{:X} has more than 4 bits", h.medium));
    const bool binary = (h.status & kFixedStatusBinary) != 0;
    std::vector<std::uint8_t> out;
    auto field = [&](std::uint64_t v, std::size_t n) {  // n bytes, in the mode's byte order
        const std::size_t at = out.size();
        put_le(out, v, n);
        if (msb_first) std::reverse(out.begin() + static_cast<std::ptrdiff_t>(at), out.end());
    };
    field(h.id, 4);
    out.push_back(h.access_number);
    out.push_back(h.status);
    for (const std::uint8_t u : unit)
        if (u > 0x3F) bad(ErrorCode::value_out_of_range, fmt::format("fixed data unit code 0x{:02X} has more than 6 bits", u));
    const unsigned mu = unit[0] | ((h.medium & 3u) << 6) | (static_cast<unsigned>(unit[1]) << 8) | ((h.medium >> 2) << 14);
    field(mu, 2);
    for (unsigned i = 0; i < 2; ++i) {
        const Value& v = counter[i];
        const std::size_t at = out.size();
        if (binary) {
            if (v.kind != ValueKind::integer)
                bad(ErrorCode::bad_model, fmt::format("counter {}: status 0x{:02X} selects binary counters", i + 1, h.status));
            const i128 x = integral(v);
            if (x < INT32_MIN || x > INT32_MAX)
                bad(ErrorCode::value_out_of_range, fmt::format("counter {}: {} does not fit 32 bits", i + 1, i128_string(x)));
            put_le(out, static_cast<std::uint64_t>(static_cast<std::uint32_t>(static_cast<std::int32_t>(x))), 4);
        } else {
            if (v.kind != ValueKind::bcd)
                bad(ErrorCode::bad_model, fmt::format("counter {}: status 0x{:02X} selects BCD counters", i + 1, h.status));
            put_bcd(out, integral(v), 4);
        }
        if (msb_first) std::reverse(out.begin() + static_cast<std::ptrdiff_t>(at), out.end());
    }
    return out;
}

void encode_header(const Header& h, std::vector<std::uint8_t>& out, bool msb_first, bool keep_violations) {
    const std::size_t at = out.size();
    if (h.kind == Header::Kind::long_header) {
        check_id(h.id, keep_violations);
        put_le(out, h.id, 4);
        put_le(out, h.manufacturer, 2);
        out.push_back(h.version);
        out.push_back(h.medium);
    }
    if (h.kind != Header::Kind::none) {
        out.push_back(h.access_number);
        out.push_back(h.status);
        put_le(out, h.signature, 2);
    }
    if (msb_first && h.kind == Header::Kind::long_header) {
        const auto b = out.begin() + static_cast<std::ptrdiff_t>(at);
        std::reverse(b, b + 4);
        std::reverse(b + 4, b + 6);
        std::reverse(b + 10, b + 12);
    }
}

TelegramBuilder& TelegramBuilder::header(const Header& h) {
    encode_header(h, ud_);
    return *this;
}

TelegramBuilder& TelegramBuilder::record(const RecordSpec& spec, const Value& v) {
    if (spec.dife.size() > kMaxDife) bad(ErrorCode::too_many_dife, "more than 10 DIFEs");
    if ((spec.dif & 0x0F) == 0x0F) bad(ErrorCode::bad_model, "special functions go through special()");
    ud_.push_back(spec.dif);
    ud_.insert(ud_.end(), spec.dife.begin(), spec.dife.end());
    ud_.insert(ud_.end(), spec.vib.begin(), spec.vib.end());
    encode_value(spec.dif, v, spec.lvar, ud_);
    return *this;
}

TelegramBuilder& TelegramBuilder::raw(std::span<const std::uint8_t> bytes) {
    ud_.insert(ud_.end(), bytes.begin(), bytes.end());
    return *this;
}

TelegramBuilder& TelegramBuilder::special(std::uint8_t dif, std::span<const std::uint8_t> mfr) {
    ud_.push_back(dif);
    ud_.insert(ud_.end(), mfr.begin(), mfr.end());
    return *this;
}

std::vector<std::uint8_t> TelegramBuilder::frame() const { return build_long(c_, a_, ci_, ud_); }

// The value of a decoded record, as the model holds it.
static Value value_of(const Telegram& t, const Record& r) {
    switch (r.kind) {
        case ValueKind::none: return Value::none();
        case ValueKind::integer: return Value::integer(r.number.mantissa);
        case ValueKind::bcd: return Value::bcd(r.number.mantissa);
        case ValueKind::real: return Value::real(r.number);
        case ValueKind::date: return Value::datetime(r.date);
        case ValueKind::text: {
            const std::string_view s = t.text(r.data);
            return Value::text(std::string(s.rbegin(), s.rend()));
        }
        case ValueKind::binary: return Value::binary(std::string(t.text(r.data)));
        case ValueKind::error_state: break;
    }
    return Value::none();
}

std::vector<std::uint8_t> encode(const Telegram& t) {
    switch (t.kind) {
        case FrameKind::ack: return build_ack();
        case FrameKind::short_frame: return build_short(t.c.raw, t.a);
        case FrameKind::control_frame: return build_long(t.c.raw, t.a, t.ci, {});
        case FrameKind::long_frame: break;
    }
    std::vector<std::uint8_t> ud;
    if (t.header.kind == Header::Kind::fixed && t.records.size() == 2) {  // CI 0x73 / 0x77
        const bool msb_first = ci_info(t.ci).msb_first;
        const std::uint8_t unit[2] = {t.records[0].unit_code, t.records[1].unit_code};
        Value v[2];
        for (unsigned i = 0; i < 2; ++i) v[i] = value_of(t, t.records[i]);
        const bool error_state[2] = {t.records[0].kind == ValueKind::error_state, t.records[1].kind == ValueKind::error_state};
        for (unsigned i = 0; i < 2; ++i)
            if (error_state[i]) v[i] = Value::bcd(0);  // placeholder: the bytes as sent are put back below
        ud = fixed_user_data(t.header, unit, v, msb_first, true);
        for (unsigned i = 0; i < 2; ++i)
            if (error_state[i]) {
                const auto d = t.span(t.records[i].data);
                std::copy(d.begin(), d.end(), ud.begin() + 8 + 4 * i);
            }
        return build_long(t.c.raw, t.a, t.ci, ud);
    }
    encode_header(t.header, ud, ci_info(t.ci).msb_first, true);
    if (!t.has_records) {
        const auto u = t.span(t.user_data);
        ud.insert(ud.end(), u.begin(), u.end());
        return build_long(t.c.raw, t.a, t.ci, ud);
    }
    const bool msb_first = ci_info(t.ci).msb_first;
    for (const Record& r : t.records) {
        if (!r.has_vib) {  // 0x2F filler, 0x7F global readout
            ud.push_back(r.dif);
            continue;
        }
        ud.push_back(r.dif);
        ud.insert(ud.end(), r.dife.begin(), r.dife.begin() + r.n_dife);
        const auto vib = t.span(r.vib);
        ud.insert(ud.end(), vib.begin(), vib.end());
        if (r.kind == ValueKind::error_state) {  // BCD in error state, NaN/Inf: no number to re-encode; the bits are the value
            if (r.data_code() == 0x0D) ud.push_back(r.lvar);
            const auto d = t.span(r.data);
            ud.insert(ud.end(), d.begin(), d.end());
            continue;
        }
        const std::size_t at = ud.size();
        encode_value(r.dif, value_of(t, r), r.lvar, ud);
        if (msb_first && r.data_code() != 0x0D) std::reverse(ud.begin() + static_cast<std::ptrdiff_t>(at), ud.end());
    }
    if (t.special != 0) {
        ud.push_back(t.special);
        const auto m = t.span(t.manufacturer_data);
        ud.insert(ud.end(), m.begin(), m.end());
    }
    return build_long(t.c.raw, t.a, t.ci, ud);
}

}  // namespace metercert::mbus
