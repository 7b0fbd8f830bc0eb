#include "metercert/obis/interpreter.hpp"

#include <fmt/format.h>

#include "metercert/mbus/bcd.hpp"

namespace metercert::obis {

namespace {

enum class Kind : std::uint8_t {
    scaled,    // decimal value, exponent chosen from its decimals
    integer,   // decimal integer count, no exponent
    hex,       // hexadecimal field (F.F, C.5.0): never read as decimal
    bcd8,      // fabrication number
    text,      // LVAR text
    header,    // 0.0: header identification only
};

struct Spec {
    unsigned sel;
    const char* obis;
    const char* note;
    std::vector<std::uint8_t> dib;     // DIF + DIFEs as printed
    Kind kind;
    std::vector<std::uint8_t> prefix;  // VIB bytes before the exponent byte (ext bits set)
    std::uint8_t base = 0;             // exponent byte = base + n (+0x80 when suffix follows)
    int offset = 6;                    // n = offset − decimals
    int lo = 0, hi = 0;                // printed n range
    std::vector<std::uint8_t> suffix;  // VIFEs after the exponent byte (e.g. 3B / 3C)
    const char* unit = "";             // unit the readout must carry ("" = none expected)
    std::size_t max_text = 0;          // text: LVAR range (0 = up to 191)
};

// "ihPsoC" etc.: the CMi1020's plain-text VIBs, text reversed on the wire (Table 6 rows 37–40, 51, 67).
const std::vector<std::uint8_t> kCosPhi{0xFC, 0x06, 0x69, 0x68, 0x50, 0x73, 0x6F, 0x43};
const std::vector<std::uint8_t> kHz{0xFC, 0x02, 0x7A, 0x48};
const std::vector<std::uint8_t> kKvah{0xFC, 0x04, 0x68, 0x41, 0x56, 0x6B};
const std::vector<std::uint8_t> kFwd{0x3B}, kBwd{0x3C}, kNone{};

Spec energy(unsigned sel, const char* o, const char* n, std::vector<std::uint8_t> dib, std::vector<std::uint8_t> suffix) {
    return {sel, o, n, std::move(dib), Kind::scaled, {}, 0x00, 6, 3, 6, std::move(suffix), "kWh", 0};
}
Spec reactive(unsigned sel, const char* o, const char* n, std::vector<std::uint8_t> dib, std::vector<std::uint8_t> suffix) {
    return {sel, o, n, std::move(dib), Kind::scaled, {0xFB, 0x82}, 0x70, 6, 3, 6, std::move(suffix), "kvarh", 0};
}
Spec power(unsigned sel, const char* o, const char* n, std::vector<std::uint8_t> dib) {
    return {sel, o, n, std::move(dib), Kind::scaled, {}, 0x28, 6, 3, 6, {}, "kW", 0};
}
Spec rpower(unsigned sel, const char* o, const char* n, std::vector<std::uint8_t> dib) {
    return {sel, o, n, std::move(dib), Kind::scaled, {0xFB, 0x82, 0xA2}, 0x70, 6, 3, 6, {}, "kvar", 0};
}
Spec cosphi(unsigned sel, const char* o, const char* n, std::vector<std::uint8_t> dib) {
    return {sel, o, n, std::move(dib), Kind::scaled, kCosPhi, 0x70, 6, 3, 6, {}, "", 0};
}
Spec volt(unsigned sel, const char* o, const char* n, std::vector<std::uint8_t> dib) {
    return {sel, o, n, std::move(dib), Kind::scaled, {0xFD}, 0x40, 9, 6, 9, {}, "V", 0};
}
Spec amp(unsigned sel, const char* o, const char* n, std::vector<std::uint8_t> dib) {
    return {sel, o, n, std::move(dib), Kind::scaled, {0xFD}, 0x50, 12, 9, 12, {}, "A", 0};
}
Spec counter(unsigned sel, const char* o, const char* n, std::vector<std::uint8_t> dib, std::vector<std::uint8_t> vib) {
    return {sel, o, n, std::move(dib), Kind::integer, std::move(vib), 0, 0, 0, 0, {}, "", 0};
}

const std::vector<Spec>& specs() {
    // CMi1020 manual §6.6 Table 6, row by row (DIB and VIB as printed; ERRATA E-4, E-5 applied).
    static const std::vector<Spec> k{
        energy(0, "1.8.0", "Active Energy - Import [+A] {+kWh}", {0x04}, kFwd),
        energy(1, "1.8.1", "Energy Register Channel 1 - Rate 1", {0x84, 0x10}, kFwd),
        energy(2, "1.8.2", "Energy Register Channel 1 - Rate 2", {0x84, 0x20}, kFwd),
        energy(3, "1.8.3", "Energy Register Channel 1 - Rate 3", {0x84, 0x30}, kFwd),
        energy(4, "1.8.4", "Energy Register Channel 1 - Rate 4", {0x84, 0x80, 0x10}, kFwd),
        energy(5, "1.8.5", "Energy Register Channel 1 - Rate 5", {0x84, 0x90, 0x10}, kFwd),
        energy(6, "1.8.6", "Energy Register Channel 1 - Rate 6", {0x84, 0xA0, 0x10}, kFwd),
        energy(7, "2.8.0", "Active Energy - Export [-A] {-kWh}", {0x04}, kBwd),
        energy(8, "2.8.1", "Energy Register Channel 2 - Rate 1", {0x84, 0x10}, kBwd),
        energy(9, "2.8.2", "Energy Register Channel 2 - Rate 2", {0x84, 0x20}, kBwd),
        energy(10, "2.8.3", "Energy Register Channel 2 - Rate 3", {0x84, 0x30}, kBwd),
        energy(11, "2.8.4", "Energy Register Channel 2 - Rate 4", {0x84, 0x80, 0x10}, kBwd),
        energy(12, "2.8.5", "Energy Register Channel 2 - Rate 5", {0x84, 0x90, 0x10}, kBwd),
        energy(13, "2.8.6", "Energy Register Channel 2 - Rate 6", {0x84, 0xA0, 0x10}, kBwd),
        reactive(14, "3.8.0", "Reactive Energy - Import (Q1+Q2) [+R] {+kVAh}", {0x04}, kFwd),
        reactive(15, "3.8.1", "Energy Register Channel 3 - Rate 1", {0x84, 0x10}, kFwd),
        reactive(16, "3.8.2", "Energy Register Channel 3 - Rate 2", {0x84, 0x20}, kFwd),
        reactive(17, "3.8.3", "Energy Register Channel 3 - Rate 3", {0x84, 0x30}, kFwd),
        reactive(18, "3.8.4", "Energy Register Channel 3 - Rate 4", {0x84, 0x80, 0x10}, kFwd),
        reactive(19, "3.8.5", "Energy Register Channel 3 - Rate 5", {0x84, 0x90, 0x10}, kFwd),
        reactive(20, "3.8.6", "Energy Register Channel 3 - Rate 6", {0x84, 0xA0, 0x10}, kFwd),
        reactive(21, "4.8.0", "Reactive Energy - Export (Q3+Q4) [-R] {-kVAh}", {0x04}, kBwd),
        reactive(22, "4.8.1", "Energy Register Channel 4 - Rate 1", {0x84, 0x10}, kBwd),
        reactive(23, "4.8.2", "Energy Register Channel 4 - Rate 2", {0x84, 0x20}, kBwd),
        reactive(24, "4.8.3", "Energy Register Channel 4 - Rate 3", {0x84, 0x30}, kBwd),
        reactive(25, "4.8.4", "Energy Register Channel 4 - Rate 4", {0x84, 0x80, 0x10}, kBwd),
        reactive(26, "4.8.5", "Energy Register Channel 4 - Rate 5", {0x84, 0x90, 0x10}, kBwd),
        reactive(27, "4.8.6", "Energy Register Channel 4 - Rate 6", {0x84, 0xA0, 0x10}, kBwd),
        energy(28, "15.8.0", "Active Energy - Absolute Value [+A + -A] {+kWh}", {0x04}, kNone),
        power(29, "16.7", "Total (R+S+T) kW", {0x03}),
        power(30, "36.7", "Phase R kW", {0x83, 0x40}),
        power(31, "56.7", "Phase S kW", {0x83, 0x80, 0x40}),
        power(32, "76.7", "Phase T kW", {0x83, 0xC0, 0x40}),
        rpower(33, "131.7", "Total (R+S+T) kVar", {0x03}),
        rpower(34, "151.7", "Phase R kVar", {0x83, 0x40}),
        rpower(35, "171.7", "Phase S kVar", {0x83, 0x80, 0x40}),
        rpower(36, "191.7", "Phase T kVar", {0x83, 0xC0, 0x40}),
        cosphi(37, "13.7", "Power Factor Phase Summation", {0x02}),
        cosphi(38, "33.7", "Power Factor Phase R", {0x82, 0x40}),
        cosphi(39, "53.7", "Power Factor Phase S", {0x82, 0x80, 0x40}),
        cosphi(40, "73.7", "Power Factor Phase T", {0x82, 0xC0, 0x40}),
        volt(41, "32.7", "VRMS Phase R", {0x83, 0x40}),
        volt(42, "52.7", "VRMS Phase S", {0x83, 0x80, 0x40}),
        volt(43, "72.7", "VRMS Phase T", {0x83, 0xC0, 0x40}),
        amp(44, "31.7", "IRMS Phase R", {0x83, 0x40}),
        amp(45, "51.7", "RMS Phase S", {0x83, 0x80, 0x40}),
        amp(46, "71.7", "IRMS Phase T", {0x83, 0xC0, 0x40}),
        counter(47, "C.7.0", "Power Fail Count", {0x02}, {0xFD, 0x75}),
        counter(48, "C.7.1", "Phase R Fail Count", {0x82, 0x40}, {0xFD, 0x75}),
        counter(49, "C.7.2", "Phase S Fail Count", {0x82, 0x80, 0x40}, {0xFD, 0x75}),
        counter(50, "C.7.3", "Phase T Fail Count", {0x82, 0xC0, 0x40}, {0xFD, 0x75}),
        {51, "14.7", "Mains Frequency", {0x03}, Kind::scaled, kHz, 0x70, 6, 3, 6, {}, "Hz", 0},
        {52, "C.5.0", "Status Flag", {0x02}, Kind::hex, {0x7C, 0x02, 0x43, 0x53}, 0, 0, 0, 0, {}, "", 0},
        {53, "F.F", "Error (always first in readout list)", {0x02}, Kind::hex, {0xFD, 0x17}, 0, 0, 0, 0, {}, "", 0},
        counter(54, "82.8.1", "Terminal cover removal counter", {0x02}, {0x7C, 0x02, 0x43, 0x54}),
        counter(55, "82.8.2", "DC Field Count", {0x02}, {0x7C, 0x02, 0x43, 0x4D}),
        {56, "C.1.0", "Meter ID", {0x0C}, Kind::bcd8, {0x78}, 0, 0, 0, 0, {}, "", 0},
        {57, "C.1.1", "Manufacturing ID", {0x0D}, Kind::text, {0xFD, 0x0A}, 0, 0, 0, 0, {}, "", 8},
        {58, "0.0", "Customer ID", {}, Kind::header, {}, 0, 0, 0, 0, {}, "", 0},
        {59, "0.2.0", "Software Version", {0x0D}, Kind::text, {0xFD, 0x0E}, 0, 0, 0, 0, {}, "", 0},
        {60, "0.2.1", "Scheme ID / Parameter identification", {0x0D}, Kind::text, {0xFD, 0x0B}, 0, 0, 0, 0, {}, "", 0},
        energy(61, "128.8.0", "Active Energy - Sum Phase Absolute Value ['SUM' ALi] {+kWh}", {0x84, 0x80, 0x40}, kNone),
        reactive(62, "130.8.0", "Reactive Energy - Absolute Value [+R +-R] {+kVArh}", {0x04}, kNone),
        reactive(63, "131.8.0", "Reactive Energy - Absolute Value [+R +-R] {+/-kVArh}", {0x84, 0x40}, kNone),
        reactive(64, "132.8.0", "Reactive Energy - Import [+R(Q1+Q4)] {kVArh(+)}", {0x84, 0x40}, kFwd),
        reactive(65, "133.8.0", "Reactive Energy - Export [-R(Q2+Q3)] {kVArh(-)}", {0x84, 0x40}, kBwd),
        energy(66, "16.8.0", "Active Energy - Absolute Value [+A +-A] {+/-kWh}", {0x84, 0x40}, kNone),
        {67, "9.8.0", "Apparent Energy [S] {+kVAh}", {0x04}, Kind::scaled, kKvah, 0x70, 6, 3, 6, {}, "kVAh", 0},
    };
    return k;
}

bool same_cde(const ObisCode& a, const ObisCode& b) noexcept { return a.c() == b.c() && a.d() == b.d() && a.e() == b.e(); }

}  // namespace

const std::vector<Table6Row>& table6() {
    static const std::vector<Table6Row> rows = [] {
        std::vector<Table6Row> r;
        for (const auto& s : specs()) r.push_back({s.sel, *ObisCode::parse(s.obis), s.obis, s.note});
        return r;
    }();
    return rows;
}

namespace {

// table6() holds the parsed codes in the order of specs().
const Spec* find_spec(const ObisCode& code) {
    const auto& rows = table6();
    for (std::size_t i = 0; i < rows.size(); ++i)
        if (same_cde(rows[i].code, code)) return &specs()[i];
    return nullptr;
}

// Exact decimal from a readout value: digits, optional sign and one '.'; nullopt otherwise.
struct Digits {
    bool negative = false;
    std::string digits;  // without the dot, leading zeros kept
    int decimals = 0;
};
std::optional<Digits> digits_of(const std::string& v) {
    Digits d;
    std::size_t i = 0;
    if (!v.empty() && (v[0] == '-' || v[0] == '+')) {
        d.negative = v[0] == '-';
        i = 1;
    }
    bool dot = false;
    for (; i < v.size(); ++i) {
        if (v[i] == '.') {
            if (dot) return std::nullopt;
            dot = true;
        } else if (v[i] >= '0' && v[i] <= '9') {
            d.digits += v[i];
            if (dot) ++d.decimals;
        } else {
            return std::nullopt;
        }
    }
    if (d.digits.empty()) return std::nullopt;
    return d;
}

void put_le(std::vector<std::uint8_t>& out, std::uint64_t v, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

std::size_t data_size(std::uint8_t dif) {
    static constexpr std::uint8_t k[16] = {0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, 0, 6, 0};
    return k[dif & 0x0F];
}

}  // namespace

std::optional<std::uint32_t> meter_secondary_address(const Readout& readout) {
    for (const auto& l : readout.lines) {
        if (l.code.c() == 0 && l.code.d() == 0 && l.code.e() == 0 && !l.values.empty()) {
            const std::string& raw = l.values[0].raw;
            if (raw.size() >= 8)
                if (const auto id = mbus::parse_bcd(std::string_view(raw).substr(raw.size() - 8))) return id;
        }
    }
    for (const auto& l : readout.lines) {
        if (l.code.c() == 96 && l.code.d() == 1 && l.code.e() == 0 && !l.values.empty())
            if (const auto id = mbus::parse_bcd(l.values[0].value)) return id;
    }
    return std::nullopt;
}

Interpretation interpret(const Readout& readout, const SelectionMask& mask) {
    Interpretation out;
    out.header_id = meter_secondary_address(readout);
    for (const auto& line : readout.lines) {
        const Spec* s = find_spec(line.code);
        if (!s || s->kind == Kind::header || line.values.empty()) continue;
        if (!(mask[s->sel / 8] & (1u << (s->sel % 8)))) continue;
        const ReadoutValue& v = line.values[0];
        auto diag = [&](std::string what) { out.diagnostics.push_back({line.line, s->obis, std::move(what)}); };
        std::vector<std::uint8_t> rec = s->dib;
        const std::size_t n = data_size(s->dib.empty() ? 0 : s->dib[0]);  // 0 for LVAR text and the header row
        // largest register of the row's signed integer type (ERRATA E-11); only numbers use it
        const std::int64_t max = n ? (std::int64_t{1} << (8 * n - 1)) - 1 : 0;
        switch (s->kind) {
            case Kind::scaled:
            case Kind::integer: {
                if (v.value.empty()) continue;  // blank value: nothing to send
                if (!v.unit.empty() && v.unit != s->unit) {
                    diag("unexpected_unit");
                    continue;
                }
                auto d = digits_of(v.value);
                if (!d) {
                    diag("not_a_number");
                    continue;
                }
                int decimals = d->decimals;
                std::string digits = d->digits;
                int nexp = s->offset - decimals;
                if (s->kind == Kind::integer && decimals != 0) {
                    diag("too_many_decimals");
                    continue;
                }
                // too many decimals for the range: drop trailing zeros only
                while (s->kind == Kind::scaled && nexp < s->lo && digits.size() > 1 && digits.back() == '0') {
                    digits.pop_back();
                    ++nexp;
                }
                if (s->kind == Kind::scaled && nexp < s->lo) {
                    diag("too_many_decimals");
                    continue;
                }
                auto value_of = [](const std::string& ds) {
                    std::uint64_t x = 0;
                    for (char c : ds) {
                        if (x > 100000000000000000ull) return UINT64_MAX;
                        x = x * 10 + static_cast<std::uint64_t>(c - '0');
                    }
                    return x;
                };
                std::uint64_t mag = value_of(digits);
                // too large for the type: coarser exponent while exact
                while (s->kind == Kind::scaled && mag > static_cast<std::uint64_t>(max) && nexp < s->hi && digits.size() > 1 &&
                       digits.back() == '0') {
                    digits.pop_back();
                    ++nexp;
                    mag = value_of(digits);
                }
                if (mag > static_cast<std::uint64_t>(max) || (s->kind == Kind::scaled && nexp > s->hi)) {
                    diag("value_overflow");
                    continue;
                }
                rec.insert(rec.end(), s->prefix.begin(), s->prefix.end());
                if (s->kind == Kind::scaled)
                    rec.push_back(static_cast<std::uint8_t>(s->base + nexp + (s->suffix.empty() ? 0 : 0x80)));
                rec.insert(rec.end(), s->suffix.begin(), s->suffix.end());
                const std::int64_t reg = d->negative ? -static_cast<std::int64_t>(mag) : static_cast<std::int64_t>(mag);
                put_le(rec, static_cast<std::uint64_t>(reg), n);
                break;
            }
            case Kind::hex: {
                if (v.value.empty()) continue;
                std::uint64_t x = 0;
                bool ok = v.value.size() <= 16;
                for (char c : v.value) {
                    const int h = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
                    if (h < 0) ok = false;
                    x = (x << 4) | static_cast<std::uint64_t>(h < 0 ? 0 : h);
                }
                if (!ok) {
                    diag("not_a_number");
                    continue;
                }
                if (x > (std::uint64_t{1} << (8 * n)) - 1) {  // bit fields: unsigned (ERRATA E-11)
                    diag("value_overflow");
                    continue;
                }
                rec.insert(rec.end(), s->prefix.begin(), s->prefix.end());
                put_le(rec, x, n);
                break;
            }
            case Kind::bcd8: {
                if (v.value.empty()) continue;
                const auto bcd = mbus::parse_bcd(v.value);  // right-aligned, zero-filled to 8 digits
                if (!bcd) {
                    diag(v.value.size() > 8 ? "value_overflow" : "not_a_number");
                    continue;
                }
                rec.insert(rec.end(), s->prefix.begin(), s->prefix.end());
                put_le(rec, *bcd, 4);  // BCD8 register, LSByte first
                break;
            }
            case Kind::text: {
                if (v.value.empty()) continue;
                if ((s->max_text && v.value.size() > s->max_text) || v.value.size() > 0xBF) {
                    diag("text_too_long");
                    continue;
                }
                rec.insert(rec.end(), s->prefix.begin(), s->prefix.end());
                rec.push_back(static_cast<std::uint8_t>(v.value.size()));
                rec.insert(rec.end(), v.value.rbegin(), v.value.rend());  // LVAR text is sent reversed
                break;
            }
            case Kind::header: break;
        }
        out.records.push_back(std::move(rec));
        out.record_sel.push_back(s->sel);
    }
    return out;
}

}  // namespace metercert::obis
