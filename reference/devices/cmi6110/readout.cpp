#include "metercert/devices/cmi6110/readout.hpp"

#include <algorithm>
#include <map>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "metercert/mbus/decimal.hpp"

namespace metercert::devices::cmi6110 {

namespace {

using V = std::vector<std::uint8_t>;

// Table 6, each row's VIBs with the JSON unit and scale of ERRATA E-50.
const FieldScale kEnergy[] = {{V{0x06}, "MWh", -3}, {V{0x07}, "MWh", -2}, {V{0xFB, 0x00}, "MWh", -1}, {V{0xFB, 0x01}, "MWh", 0},
                              {V{0x0E}, "GJ", -3},  {V{0x0F}, "GJ", -2},  {V{0xFB, 0x08}, "GJ", -1},  {V{0xFB, 0x09}, "GJ", 0}};
// Table 6 prints 03 for every tariff scale; the descriptions (Wh … 10 kWh, MJ, 10 MJ) are VIFs 03–07,
// 0E, 0F (ERRATA E-51). In JSON the same units as E.
const FieldScale kTariff[] = {{V{0x03}, "MWh", -6}, {V{0x04}, "MWh", -5}, {V{0x05}, "MWh", -4}, {V{0x06}, "MWh", -3},
                              {V{0x07}, "MWh", -2}, {V{0x0E}, "GJ", -3},  {V{0x0F}, "GJ", -2}};
const FieldScale kVolume[] = {{V{0x13}, "m3", -3}, {V{0x14}, "m3", -2}, {V{0x15}, "m3", -1}, {V{0x16}, "m3", 0}};
const FieldScale kPower[] = {{V{0x2B}, "W", 0}, {V{0x2C}, "W", 1}, {V{0x2D}, "W", 2}, {V{0x2E}, "W", 3}};
const FieldScale kFlow[] = {{V{0x3B}, "l/h", 0}, {V{0x3C}, "l/h", 1}, {V{0x3D}, "l/h", 2}, {V{0x3E}, "l/h", 3}};
const FieldScale kForward[] = {{V{0x5A}, "C", -1}, {V{0x5B}, "C", 0}};
const FieldScale kReturn[] = {{V{0x5E}, "C", -1}, {V{0x5F}, "C", 0}};
const FieldScale kMissing[] = {{V{0x22}, "h", 0}, {V{0x23}, "d", 0}};

const FieldScale* scale_of(std::span<const FieldScale> scales, const V& vib) {
    for (const auto& s : scales)
        if (s.vib == vib) return &s;
    return nullptr;
}

void put_le(V& out, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

void put_bcd8(V& out, std::uint64_t v) {
    for (int i = 0; i < 4; ++i) {
        out.push_back(static_cast<std::uint8_t>((v % 10) | ((v / 10 % 10) << 4)));
        v /= 100;
    }
}

// DIF + VIB + data of one numeric register; `bytes` 2 or 4 (two's complement).
void put_register(V& out, std::string_view field, V dib, const Register& r, std::span<const FieldScale> scales, int bytes) {
    if (!scale_of(scales, r.vib)) throw std::invalid_argument(fmt::format("{}: VIB {:02X} is not one Table 6 lists", field, fmt::join(r.vib, "")));
    const std::int64_t lo = bytes == 2 ? -32768 : -2147483648LL, hi = bytes == 2 ? 32767 : 2147483647LL;
    if (r.raw < lo || r.raw > hi) throw std::invalid_argument(fmt::format("{}: {} does not fit {} bytes", field, r.raw, bytes));
    out.insert(out.end(), dib.begin(), dib.end());
    out.insert(out.end(), r.vib.begin(), r.vib.end());
    put_le(out, static_cast<std::uint64_t>(r.raw), bytes);
}

std::string tariff_name(int i) { return fmt::format("tariff {} energy", i + 1); }

}  // namespace

std::span<const FieldScale> energy_scales() noexcept { return kEnergy; }
std::span<const FieldScale> tariff_scales() noexcept { return kTariff; }
std::span<const FieldScale> volume_scales() noexcept { return kVolume; }
std::span<const FieldScale> power_scales() noexcept { return kPower; }
std::span<const FieldScale> flow_scales() noexcept { return kFlow; }
std::span<const FieldScale> forward_temperature_scales() noexcept { return kForward; }
std::span<const FieldScale> return_temperature_scales() noexcept { return kReturn; }
std::span<const FieldScale> missing_time_scales() noexcept { return kMissing; }

std::vector<std::uint8_t> encode_mbus(const Readout& r, MessageFormat f) {
    V out;
    if (r.time.type != 'F') throw std::invalid_argument("meter date/time: Table 6 DIB 1 is type F (046D)");
    out.insert(out.end(), {0x04, 0x6D});
    put_le(out, r.time.bits, 4);
    if (r.meter_id > 99999999) throw std::invalid_argument(fmt::format("meter ID: {} has more than 8 digits", r.meter_id));
    out.insert(out.end(), {0x0C, 0x78});
    put_bcd8(out, r.meter_id);
    put_register(out, "energy", {0x04}, r.energy, kEnergy, 4);
    put_register(out, "volume", {0x04}, r.volume, kVolume, 4);
    put_register(out, "power", {0x02}, r.power, kPower, 2);
    put_register(out, "flow", {0x02}, r.flow, kFlow, 2);
    put_register(out, "forward temperature", {0x02}, r.forward_temperature, kForward, 2);
    put_register(out, "return temperature", {0x02}, r.return_temperature, kReturn, 2);
    out.insert(out.end(), {0x02, 0xFD, 0x17});
    put_le(out, r.error_flags, 2);
    if (f == MessageFormat::extended) {
        for (int i = 0; i < 3; ++i)
            put_register(out, tariff_name(i), {0x84, static_cast<std::uint8_t>(0x10 * (i + 1))}, r.tariff[i], kTariff, 4);
        if (!scale_of(kMissing, r.missing_time.vib) || r.missing_time.raw < 0 || r.missing_time.raw > 99999999)
            throw std::invalid_argument("missing time: VIB 22 or 23 and 0…99999999 (8 BCD digits)");
        out.push_back(0x3C);
        out.insert(out.end(), r.missing_time.vib.begin(), r.missing_time.vib.end());
        put_bcd8(out, static_cast<std::uint64_t>(r.missing_time.raw));
    }
    return out;
}

namespace {

std::string number(const Register& r, std::span<const FieldScale> scales, std::string_view field) {
    const FieldScale* s = scale_of(scales, r.vib);
    if (!s) throw std::invalid_argument(fmt::format("{}: VIB {:02X} is not one Table 6 lists", field, fmt::join(r.vib, "")));
    return mbus::Decimal{r.raw, s->exponent}.to_string();
}

std::string unit(const Register& r, std::span<const FieldScale> scales) { return std::string(scale_of(scales, r.vib)->json_unit); }

std::string json_string(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

// Table 7's registers with a value key and a unit key, in the example's order (EF, which has no
// unit, goes between the Standard and the Extended ones): what encode_json writes and decode_json
// reads. `bytes` is the register's data field: 2 or 4 (integer), 0 (8 BCD digits).
struct JsonRegister {
    std::string_view value_key, unit_key, name;
    Register& (*of)(Readout&);
    std::span<const FieldScale> scales;
    int bytes;
    bool extended;
};
const JsonRegister kJsonRegisters[] = {
    {"E", "U", "energy", [](Readout& r) -> Register& { return r.energy; }, kEnergy, 4, false},
    {"V", "VU", "volume", [](Readout& r) -> Register& { return r.volume; }, kVolume, 4, false},
    {"P", "PU", "power", [](Readout& r) -> Register& { return r.power; }, kPower, 2, false},
    {"F", "FU", "flow", [](Readout& r) -> Register& { return r.flow; }, kFlow, 2, false},
    {"FT", "TU", "forward temperature", [](Readout& r) -> Register& { return r.forward_temperature; }, kForward, 2, false},
    {"RT", "RU", "return temperature", [](Readout& r) -> Register& { return r.return_temperature; }, kReturn, 2, false},
    {"T1", "U1", "tariff 1 energy", [](Readout& r) -> Register& { return r.tariff[0]; }, kTariff, 4, true},
    {"T2", "U2", "tariff 2 energy", [](Readout& r) -> Register& { return r.tariff[1]; }, kTariff, 4, true},
    {"T3", "U3", "tariff 3 energy", [](Readout& r) -> Register& { return r.tariff[2]; }, kTariff, 4, true},
    {"MT", "MU", "missing time", [](Readout& r) -> Register& { return r.missing_time; }, kMissing, 0, true},
};

}  // namespace

std::string encode_json(const Readout& r, MessageFormat f) {
    std::string o = "{";
    auto add = [&](std::string_view key, const std::string& value) {
        if (o.size() > 1) o += ',';
        o += json_string(key);
        o += ':';
        o += value;
    };
    const auto& t = r.time;
    add("TS", json_string(fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}Z", t.year, t.month, t.day, t.hour, t.minute)));
    if (r.meter_id > 99999999) throw std::invalid_argument(fmt::format("meter ID: {} has more than 8 digits", r.meter_id));
    add("ID", std::to_string(r.meter_id));
    Readout rr = r;  // the table's accessors take a mutable readout (decode_json fills one)
    auto registers = [&](bool extended) {
        for (const auto& j : kJsonRegisters)
            if (j.extended == extended) {
                add(j.value_key, number(j.of(rr), j.scales, j.name));
                add(j.unit_key, json_string(unit(j.of(rr), j.scales)));
            }
    };
    registers(false);
    add("EF", json_string(fmt::format("0x{:04X}", r.error_flags)));
    if (f == MessageFormat::extended) registers(true);
    return o + "}";
}

// ------------------------------------------------------------------------------ JSON decode

std::string_view error_name(JsonErrorCode c) noexcept {
    switch (c) {
        case JsonErrorCode::bad_json: return "bad_json";
        case JsonErrorCode::missing_key: return "missing_key";
        case JsonErrorCode::unknown_key: return "unknown_key";
        case JsonErrorCode::wrong_type: return "wrong_type";
        case JsonErrorCode::bad_unit: return "bad_unit";
        case JsonErrorCode::bad_value: return "bad_value";
        case JsonErrorCode::bad_time: return "bad_time";
    }
    return "unknown";
}

std::string JsonError::message() const {
    if (code == JsonErrorCode::bad_json) return fmt::format("bad_json at byte {}: {}", offset, detail);
    return key.empty() ? fmt::format("{}: {}", error_name(code), detail) : fmt::format("{} at key {}: {}", error_name(code), key, detail);
}

namespace {

// A top-level member of the payload object: its JSON type and, for a number, its text as written
// (the SAX interface keeps it, so that 12345.678 stays exact).
struct Member {
    enum Kind { string, number, other } kind = other;
    std::string text;
};

class TopLevel : public nlohmann::json_sax<nlohmann::json> {
public:
    std::map<std::string, Member> members;
    std::vector<std::string> order;
    std::string error;
    std::size_t error_at = 0;

    bool null() override { return value(Member::other, "null"); }
    bool boolean(bool) override { return value(Member::other, "a boolean"); }
    bool number_integer(number_integer_t v) override { return value(Member::number, std::to_string(v)); }
    bool number_unsigned(number_unsigned_t v) override { return value(Member::number, std::to_string(v)); }
    bool number_float(number_float_t, const string_t& s) override { return value(Member::number, s); }
    bool string(string_t& s) override { return value(Member::string, s); }
    bool binary(binary_t&) override { return value(Member::other, "binary"); }
    bool start_object(std::size_t) override {
        if (depth_++ == 0) return true;
        return nested();
    }
    bool key(string_t& k) override {
        if (depth_ == 1) {
            if (members.count(k)) return fail(fmt::format("key \"{}\" twice", k));
            key_ = k;
        }
        return true;
    }
    bool end_object() override {
        --depth_;
        return true;
    }
    bool start_array(std::size_t) override {
        if (depth_ == 0) return fail("the payload is an array, not an object");
        return nested();
    }
    bool end_array() override { return true; }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& ex) override {
        error_at = position == 0 ? 0 : position - 1;
        error = ex.what();
        if (const auto p = error.find("] "); p != std::string::npos) error = error.substr(p + 2);
        return false;
    }

private:
    int depth_ = 0;
    std::string key_;
    bool fail(std::string why) {
        error = std::move(why);
        return false;
    }
    bool nested() {
        members[key_] = {Member::other, "an object or array"};
        order.push_back(key_);
        return fail(fmt::format("key \"{}\": Table 7 has no nested values", key_));
    }
    bool value(Member::Kind k, std::string text) {
        if (depth_ == 0) return fail("the payload is not an object");
        members[key_] = {k, std::move(text)};
        order.push_back(key_);
        return true;
    }
};

bool jfail(JsonError& err, JsonErrorCode c, std::string key, std::string detail) {
    err.code = c;
    err.key = std::move(key);
    err.offset = 0;
    err.detail = std::move(detail);
    return false;
}

// The register a JSON number in `unit` stands for: the coarsest of the field's scales in that unit
// whose register holds it exactly — the manual's example then gives the VIBs of its M-Bus example
// (0406, 0415, 022B, 023B, 025A, 025E). JSON does not say which VIB the meter used: ERRATA E-50.
bool to_register(const TopLevel& t, std::string_view vkey, std::string_view ukey, std::span<const FieldScale> scales, int bytes,
                 Register& out, JsonError& err) {
    const Member& v = t.members.at(std::string(vkey));
    const Member& u = t.members.at(std::string(ukey));
    if (v.kind != Member::number) return jfail(err, JsonErrorCode::wrong_type, std::string(vkey), "a number is expected");
    if (u.kind != Member::string) return jfail(err, JsonErrorCode::wrong_type, std::string(ukey), "a unit string is expected");
    std::vector<std::string_view> units;
    for (const auto& s : scales)
        if (std::find(units.begin(), units.end(), s.json_unit) == units.end()) units.push_back(s.json_unit);
    if (std::find(units.begin(), units.end(), u.text) == units.end())
        return jfail(err, JsonErrorCode::bad_unit, std::string(ukey), fmt::format("\"{}\" is not {}", u.text, fmt::join(units, " or ")));
    const auto d = mbus::Decimal::parse(v.text);
    if (!d) return jfail(err, JsonErrorCode::bad_value, std::string(vkey), fmt::format("{} is not a plain decimal number", v.text));
    const std::int64_t lo = bytes == 2 ? -32768 : bytes == 4 ? -2147483648LL : 0;
    const std::int64_t hi = bytes == 2 ? 32767 : bytes == 4 ? 2147483647LL : 99999999;
    for (auto it = scales.rbegin(); it != scales.rend(); ++it) {  // coarsest first: the tables go fine → coarse
        const FieldScale& s = *it;
        if (s.json_unit != u.text) continue;
        const auto raw = d->scaled_to(s.exponent);
        if (raw && *raw >= lo && *raw <= hi) {
            out.vib = s.vib;
            out.raw = static_cast<std::int64_t>(*raw);
            return true;
        }
    }
    return jfail(err, JsonErrorCode::bad_value, std::string(vkey), fmt::format("{} {} fits none of the field's registers", v.text, u.text));
}

}  // namespace

bool decode_json(std::string_view text, Readout& out, MessageFormat& format, JsonError& err) noexcept {
    try {
        TopLevel t;
        const bool ok = nlohmann::json::sax_parse(text, &t, nlohmann::json::input_format_t::json, true);
        if (!ok || !t.error.empty()) {
            err = {JsonErrorCode::bad_json, {}, t.error_at, t.error.empty() ? "not a JSON object" : t.error};
            return false;
        }
        std::vector<std::string> standard = {"TS", "ID", "EF"}, extended;
        for (const auto& j : kJsonRegisters)
            for (auto k : {j.value_key, j.unit_key}) (j.extended ? extended : standard).emplace_back(k);
        for (const auto& k : t.order)
            if (std::find(standard.begin(), standard.end(), k) == standard.end() && std::find(extended.begin(), extended.end(), k) == extended.end())
                return jfail(err, JsonErrorCode::unknown_key, k, "Table 7 has no such key");
        format = MessageFormat::standard;
        for (const auto& k : extended)
            if (t.members.count(k)) format = MessageFormat::extended;
        for (const auto& k : standard)
            if (!t.members.count(k)) return jfail(err, JsonErrorCode::missing_key, k, "a key of every message (Table 7)");
        if (format == MessageFormat::extended)
            for (const auto& k : extended)
                if (!t.members.count(k)) return jfail(err, JsonErrorCode::missing_key, k, "a key of the Extended message (Table 7)");
        Readout r;
        const Member& ts = t.members.at("TS");
        unsigned y, mo, d, h, mi;
        char tail = 0;
        if (ts.kind != Member::string || ts.text.size() != 17 ||
            std::sscanf(ts.text.c_str(), "%4u-%2u-%2uT%2u:%2u%c", &y, &mo, &d, &h, &mi, &tail) != 6 || tail != 'Z' || mo < 1 || mo > 12 ||
            d < 1 || d > 31 || h > 23 || mi > 59 || y < 2000 || y > 2099)
            return jfail(err, JsonErrorCode::bad_time, "TS", fmt::format("\"{}\" is not YYYY-MM-DDTHH:MMZ", ts.text));
        r.time = mbus::DateTime::make('F', y, mo, d, h, mi);
        const Member& id = t.members.at("ID");
        if (id.kind != Member::number) return jfail(err, JsonErrorCode::wrong_type, "ID", "a number is expected");
        if (id.text.empty() || id.text.size() > 8 || id.text.find_first_not_of("0123456789") != std::string::npos)
            return jfail(err, JsonErrorCode::bad_value, "ID", fmt::format("{} is not 0…99999999", id.text));
        r.meter_id = static_cast<std::uint32_t>(std::stoul(id.text));
        for (const auto& j : kJsonRegisters)
            if ((!j.extended || format == MessageFormat::extended) &&
                !to_register(t, j.value_key, j.unit_key, j.scales, j.bytes, j.of(r), err))
                return false;
        const Member& ef = t.members.at("EF");
        if (ef.kind != Member::string || ef.text.size() != 6 || ef.text.rfind("0x", 0) != 0 ||
            ef.text.find_first_not_of("0123456789abcdefABCDEF", 2) != std::string::npos)
            return jfail(err, JsonErrorCode::bad_value, "EF", fmt::format("\"{}\" is not 0xHHHH", ef.text));
        r.error_flags = static_cast<std::uint16_t>(std::stoul(ef.text.substr(2), nullptr, 16));
        out = std::move(r);
        return true;
    } catch (const std::exception& e) {
        return jfail(err, JsonErrorCode::bad_json, {}, e.what());
    }
}

// ------------------------------------------------------------------------------ M-Bus decode

std::string_view error_name(MbusErrorCode c) noexcept {
    switch (c) {
        case MbusErrorCode::records: return "records";
        case MbusErrorCode::missing_record: return "missing_record";
        case MbusErrorCode::unexpected_record: return "unexpected_record";
        case MbusErrorCode::extra_record: return "extra_record";
    }
    return "unknown";
}

std::string MbusError::message() const { return fmt::format("{} at byte {}: {}", error_name(code), offset, detail); }

namespace {

struct Row {
    std::string_view name;
    V dib;                             // DIF and DIFEs
    std::span<const FieldScale> vibs;  // empty: `fixed_vib`
    V fixed_vib;
};

bool mfail(MbusError& err, MbusErrorCode c, std::size_t off, std::string detail) {
    err.code = c;
    err.offset = off;
    err.detail = std::move(detail);
    return false;
}

std::uint64_t le_of(std::span<const std::uint8_t> b) {
    std::uint64_t v = 0;
    for (std::size_t i = b.size(); i-- > 0;) v = (v << 8) | b[i];
    return v;
}

std::int64_t signed_of(std::span<const std::uint8_t> b) {
    const std::uint64_t v = le_of(b);
    const unsigned bits = static_cast<unsigned>(b.size() * 8);
    return bits < 64 && (v >> (bits - 1)) ? static_cast<std::int64_t>(v) - (std::int64_t{1} << bits) : static_cast<std::int64_t>(v);
}

std::optional<std::uint64_t> bcd_of(std::span<const std::uint8_t> b) {
    std::uint64_t v = 0;
    for (std::size_t i = b.size(); i-- > 0;) {
        const unsigned hi = b[i] >> 4, lo = b[i] & 0x0F;
        if (hi > 9 || lo > 9) return std::nullopt;
        v = v * 100 + hi * 10 + lo;
    }
    return v;
}

}  // namespace

bool decode_mbus(std::span<const std::uint8_t> dibs, Readout& out, MessageFormat& format, MbusError& err) noexcept {
    try {
        mbus::Telegram t;
        mbus::DecodeError me;
        if (!mbus::decode_records(dibs, t, me)) return mfail(err, MbusErrorCode::records, me.offset, me.message());
        const Row rows[] = {
            {"meter date/time (DIB 1)", {0x04}, {}, {0x6D}},
            {"meter ID (DIB 2)", {0x0C}, {}, {0x78}},
            {"energy (DIB 3)", {0x04}, kEnergy, {}},
            {"volume (DIB 4)", {0x04}, kVolume, {}},
            {"power (DIB 5)", {0x02}, kPower, {}},
            {"flow (DIB 6)", {0x02}, kFlow, {}},
            {"forward temperature (DIB 7)", {0x02}, kForward, {}},
            {"return temperature (DIB 8)", {0x02}, kReturn, {}},
            {"error flags (DIB 9)", {0x02}, {}, {0xFD, 0x17}},
            {"tariff 1 energy (DIB 10)", {0x84, 0x10}, kTariff, {}},
            {"tariff 2 energy (DIB 11)", {0x84, 0x20}, kTariff, {}},
            {"tariff 3 energy (DIB 12)", {0x84, 0x30}, kTariff, {}},
            {"missing time (DIB 13)", {0x3C}, kMissing, {}},
        };
        const std::size_t n = t.records.size();
        if (t.special) return mfail(err, MbusErrorCode::extra_record, t.manufacturer_data.off - 1u, "a special function DIF: Table 6 has none");
        format = n > 9 ? MessageFormat::extended : MessageFormat::standard;
        const std::size_t rows_n = format == MessageFormat::extended ? 13 : 9;
        Readout r;
        for (std::size_t i = 0; i < rows_n; ++i) {
            const Row& row = rows[i];
            if (i >= n)
                return mfail(err, MbusErrorCode::missing_record, dibs.size(),
                             fmt::format("the payload ends before {} ({} records of {})", row.name, n, rows_n));
            const mbus::Record& rec = t.records[i];
            const auto raw = t.span(rec.raw);
            const auto vib = t.span(rec.vib);
            const V dib(raw.begin(), raw.begin() + 1 + rec.n_dife);
            const V vibv(vib.begin(), vib.end());
            const bool vib_ok = row.vibs.empty() ? vibv == row.fixed_vib : scale_of(row.vibs, vibv) != nullptr;
            if (dib != row.dib || !vib_ok)
                return mfail(err, MbusErrorCode::unexpected_record, rec.offset,
                             fmt::format("{:02X} {:02X} is not {} (Table 6)", fmt::join(dib, ""), fmt::join(vibv, ""), row.name));
            const auto data = t.span(rec.data);
            switch (i) {
                case 0: r.time = mbus::DateTime::decode('F', le_of(data)); break;
                case 1: {
                    const auto id = bcd_of(data);
                    if (!id) return mfail(err, MbusErrorCode::unexpected_record, rec.offset, "meter ID (DIB 2) is not 8 BCD digits");
                    r.meter_id = static_cast<std::uint32_t>(*id);
                    break;
                }
                case 8: r.error_flags = static_cast<std::uint16_t>(le_of(data)); break;
                case 12: {
                    const auto mt = bcd_of(data);
                    if (!mt) return mfail(err, MbusErrorCode::unexpected_record, rec.offset, "missing time (DIB 13) is not 8 BCD digits");
                    r.missing_time = {vibv, static_cast<std::int64_t>(*mt)};
                    break;
                }
                default: {
                    Register* regs[] = {nullptr, nullptr, &r.energy, &r.volume, &r.power, &r.flow, &r.forward_temperature,
                                        &r.return_temperature, nullptr, &r.tariff[0], &r.tariff[1], &r.tariff[2]};
                    *regs[i] = {vibv, signed_of(data)};
                }
            }
        }
        if (n > rows_n) return mfail(err, MbusErrorCode::extra_record, t.records[rows_n].offset, "after Table 6's last row (missing time)");
        out = std::move(r);
        return true;
    } catch (const std::exception& e) {
        return mfail(err, MbusErrorCode::records, 0, e.what());
    }
}

}  // namespace metercert::devices::cmi6110
