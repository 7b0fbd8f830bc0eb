// from_json: canonical JSON → frame bytes (not a hot path; nlohmann-json does the parsing).
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "metercert/mbus/encode.hpp"
#include "metercert/mbus/json.hpp"

namespace metercert::mbus {

namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& what) {
    throw DecodeFailure({ErrorCode::bad_model, 0, fmt::format("{}: {}", where, what)});
}

std::vector<std::uint8_t> unhex(const json& j, const std::string& where) {
    if (!j.is_string()) bad(where, "expected a hex string");
    const std::string& s = j.get_ref<const std::string&>();
    if (s.size() % 2) bad(where, "odd number of hex digits");
    std::vector<std::uint8_t> out(s.size() / 2);
    for (std::size_t i = 0; i < out.size(); ++i) {
        unsigned v = 0;
        for (int k = 0; k < 2; ++k) {
            const char c = s[2 * i + static_cast<std::size_t>(k)];
            unsigned d = c >= '0' && c <= '9' ? static_cast<unsigned>(c - '0')
                       : c >= 'A' && c <= 'F' ? static_cast<unsigned>(c - 'A' + 10)
                       : c >= 'a' && c <= 'f' ? static_cast<unsigned>(c - 'a' + 10) : 99u;
            if (d > 15) bad(where, "not a hex digit");
            v = v * 16 + d;
        }
        out[i] = static_cast<std::uint8_t>(v);
    }
    return out;
}

std::uint8_t byte(const json& o, const char* key, const std::string& where) {
    if (!o.contains(key)) bad(where, fmt::format("missing \"{}\"", key));
    const json& j = o.at(key);
    if (j.is_number_unsigned() && j.get<unsigned>() <= 255) return static_cast<std::uint8_t>(j.get<unsigned>());
    const auto v = unhex(j, where + "/" + key);
    if (v.size() != 1) bad(where + "/" + key, "expected one byte");
    return v[0];
}

// Latin-1 bytes of a UTF-8 string (the inverse of the writer's \u00XX escapes).
std::string latin1(const std::string& u, const std::string& where) {
    std::string out;
    for (std::size_t i = 0; i < u.size(); ++i) {
        const auto c = static_cast<unsigned char>(u[i]);
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if ((c & 0xE0) == 0xC0 && i + 1 < u.size() && c <= 0xC3) {
            out.push_back(static_cast<char>(((c & 0x1F) << 6) | (static_cast<unsigned char>(u[++i]) & 0x3F)));
        } else {
            bad(where, "text holds a character outside ISO 8859-1");
        }
    }
    return out;
}

// The meaning of a VIB and the length of its DIF+VIB, by decoding a one-record frame.
Record probe(std::span<const std::uint8_t> vib, const std::string& where) {
    std::vector<std::uint8_t> ud{0x00};
    ud.insert(ud.end(), vib.begin(), vib.end());
    const auto f = build_long(kRspUd, 0, 0x78, ud);
    Telegram t;
    DecodeError err;
    if (!decode(f, t, err) || t.records.size() != 1) bad(where, "VIB does not decode: " + err.message());
    return t.records[0];
}

Value value_for(const json& r, const Record& meaning, const std::string& where) {
    const std::string type = r.value("type", "");
    const json& v = r.contains("value") ? r.at("value") : json();
    if (v.is_null()) return Value::none();
    if (!v.is_string()) bad(where + "/value", "expected a string");
    const std::string& s = v.get_ref<const std::string&>();
    if (type.rfind("date", 0) == 0 || type.rfind("time", 0) == 0 || type == "dst_k") {
        const char t = type == "date_g" ? 'G' : type == "time_j" ? 'J' : type == "datetime_f" ? 'F' : type == "dst_k" ? 'K' : 'I';
        if (t == 'K') {
            DateTime d;
            d.type = 'K';
            d.bits = std::strtoull(s.c_str(), nullptr, 16);
            return Value::datetime(d);
        }
        unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
        int n = 0;
        if (t == 'G') n = std::sscanf(s.c_str(), "%4u-%2u-%2u", &y, &mo, &d) == 3;
        else if (t == 'J') n = std::sscanf(s.c_str(), "%2u:%2u:%2u", &h, &mi, &se) == 3;
        else if (t == 'F') n = std::sscanf(s.c_str(), "%4u-%2u-%2uT%2u:%2u", &y, &mo, &d, &h, &mi) == 5;
        else n = std::sscanf(s.c_str(), "%4u-%2u-%2uT%2u:%2u:%2u", &y, &mo, &d, &h, &mi, &se) == 6;
        if (!n) bad(where + "/value", "malformed date/time " + s);
        DateTime dt = DateTime::make(t, y, mo, d, h, mi, se, r.value("invalid", false), r.value("summer_time", false));
        if (r.contains("hundred_year")) dt = dt.with_hundred_year(r.at("hundred_year").get<unsigned>());
        if (r.contains("year_field")) dt = dt.with_year_field(r.at("year_field").get<unsigned>());
        if (r.contains("extra_bits")) dt = dt.with_extra(std::strtoull(r.at("extra_bits").get<std::string>().c_str(), nullptr, 16));
        return Value::datetime(dt);
    }
    if (type == "text") return Value::text(latin1(s, where + "/value"));
    if (type == "binary") {
        const auto b = unhex(v, where + "/value");
        return Value::binary(std::string(b.begin(), b.end()));
    }
    auto d = Decimal::parse(s);
    if (!d) bad(where + "/value", "not an exact decimal: " + s);
    // register = value / scale, exactly: value was register × factor × 10^e, so some power of
    // ten makes the mantissa divisible by the factor.
    const Decimal sc = meaning.meaning.scale;
    Decimal reg{};
    bool found = false;
    i128 m = d->mantissa;
    for (int k = 0; k <= 12 && !found; ++k, m *= 10) {
        if (m % sc.mantissa == 0) {
            reg = {m / sc.mantissa, d->exponent - k - sc.exponent};
            found = true;
        }
    }
    if (!found) bad(where + "/value", "value is not a multiple of the VIB's scale");
    if (type == "real32") return Value::real(reg);
    auto whole = reg.scaled_to(0);
    if (!whole) bad(where + "/value", "value is finer than the VIB's resolution");
    if (type.rfind("bcd", 0) == 0) return Value::bcd(*whole);
    return Value::integer(*whole);
}

// The 16 bytes of a fixed data structure from its canonical JSON (header id, access_number,
// status, medium; per counter unit_code, type, value — or raw when value is null).
std::vector<std::uint8_t> fixed_from_json(const json& j, bool msb_first) {
    if (!j.contains("header") || !j.contains("records")) bad("", "a fixed data structure needs \"header\" and \"records\"");
    const json& h = j.at("header");
    Header hd;
    hd.kind = Header::Kind::fixed;
    if (!h.contains("id") || !h.at("id").is_string()) bad("/header/id", "expected 8 digits");
    hd.id = static_cast<std::uint32_t>(std::strtoul(h.at("id").get<std::string>().c_str(), nullptr, 16));
    hd.access_number = static_cast<std::uint8_t>(h.value("access_number", 0u));
    hd.status = byte(h, "status", "/header");
    hd.medium = byte(h, "medium", "/header");
    const json& rs = j.at("records");
    if (!rs.is_array() || rs.size() != 2) bad("/records", "a fixed data structure has exactly two counters");
    std::uint8_t unit[2];
    for (unsigned i = 0; i < 2; ++i) unit[i] = byte(rs[i], "unit_code", fmt::format("/records/{}", i));
    Value v[2];
    std::vector<std::uint8_t> raw[2];
    for (unsigned i = 0; i < 2; ++i) {
        const std::string where = fmt::format("/records/{}", i);
        const json& r = rs[i];
        if (r.contains("value") && r.at("value").is_null()) {  // BCD in error state: the bytes as sent
            raw[i] = unhex(r.at("raw"), where + "/raw");
            if (raw[i].size() != 4) bad(where + "/raw", "a counter is 4 bytes");
            v[i] = Value::bcd(0);
            continue;
        }
        Record m;  // the counter's scale: its own unit, or counter 1's for 0x3E (same but historic)
        m.meaning = fixed_unit(i == 1 && unit[1] == kFixedUnitSameButHistoric ? unit[0] : unit[i]);
        v[i] = value_for(r, m, where);
    }
    std::vector<std::uint8_t> ud = fixed_user_data(hd, unit, v, msb_first, true);
    for (unsigned i = 0; i < 2; ++i)
        if (!raw[i].empty()) std::copy(raw[i].begin(), raw[i].end(), ud.begin() + 8 + 4 * i);
    return ud;
}

}  // namespace

std::vector<std::uint8_t> from_json(std::string_view text) {
    json j;
    try {
        j = json::parse(text);
    } catch (const json::exception& e) {
        bad("", std::string("not JSON: ") + e.what());
    }
    const std::string kind = j.value("frame", "");
    if (kind == "ack") return build_ack();
    const std::uint8_t c = byte(j, "c", "");
    const std::uint8_t a = byte(j, "a", "");
    if (kind == "short") return build_short(c, a);
    const std::uint8_t ci = byte(j, "ci", "");
    if (kind == "control") return build_long(c, a, ci, {});
    if (kind != "long") bad("/frame", "expected ack, short, control or long");

    std::vector<std::uint8_t> ud;
    if (ci_info(ci).fixed) return build_long(c, a, ci, fixed_from_json(j, ci_info(ci).msb_first));
    if (j.contains("header")) {
        const json& h = j.at("header");
        Header hd;
        if (h.contains("id")) {
            hd.kind = Header::Kind::long_header;
            hd.id = static_cast<std::uint32_t>(std::strtoul(h.at("id").get<std::string>().c_str(), nullptr, 16));
            if (h.contains("manufacturer_code")) {
                hd.manufacturer = static_cast<std::uint16_t>(std::strtoul(h.at("manufacturer_code").get<std::string>().c_str(), nullptr, 16));
            } else {
                auto m = manufacturer_code(h.value("manufacturer", ""));
                if (!m) bad("/header/manufacturer", "expected three letters A..Z");
                hd.manufacturer = *m;
            }
            hd.version = static_cast<std::uint8_t>(h.value("version", 0u));
            hd.medium = byte(h, "medium", "/header");
        } else {
            hd.kind = Header::Kind::short_header;
        }
        hd.access_number = static_cast<std::uint8_t>(h.value("access_number", 0u));
        hd.status = byte(h, "status", "/header");
        hd.signature = static_cast<std::uint16_t>(std::strtoul(h.value("signature", "0").c_str(), nullptr, 16));
        encode_header(hd, ud, ci_info(ci).msb_first, true);
    }
    for (const char* key : {"user_data", "selection"})
        if (j.contains(key)) {
            const auto u = unhex(j.at(key), std::string("/") + key);
            ud.insert(ud.end(), u.begin(), u.end());
        }
    if (j.contains("records")) {
        std::size_t i = 0;
        for (const json& r : j.at("records")) {
            const std::string where = fmt::format("/records/{}", i++);
            const auto dib = unhex(r.at("dif"), where + "/dif");
            if (dib.empty()) bad(where + "/dif", "empty");
            if (!r.contains("vif")) {  // 0x2F / 0x7F
                ud.insert(ud.end(), dib.begin(), dib.end());
                continue;
            }
            const auto vib = unhex(r.at("vif"), where + "/vif");
            const bool opaque = r.contains("value") && r.at("value").is_null() && r.value("type", "") != "none" &&
                                r.value("type", "") != "selection";
            if (opaque) {
                const auto raw = unhex(r.at("raw"), where + "/raw");
                ud.insert(ud.end(), raw.begin(), raw.end());
                continue;
            }
            const Record m = probe(vib, where + "/vif");
            ud.insert(ud.end(), dib.begin(), dib.end());
            ud.insert(ud.end(), vib.begin(), vib.end());
            std::uint8_t lvar_hint = 0;
            if ((dib[0] & 0x0F) == 0x0D && r.contains("raw")) {
                const auto raw = unhex(r.at("raw"), where + "/raw");
                if (raw.size() > dib.size() + vib.size()) lvar_hint = raw[dib.size() + vib.size()];
            }
            const std::size_t vat = ud.size();
            encode_value(dib[0], value_for(r, m, where), lvar_hint, ud);
            if (ci_info(ci).msb_first && (dib[0] & 0x0F) != 0x0D)
                std::reverse(ud.begin() + static_cast<std::ptrdiff_t>(vat), ud.end());
        }
        if (j.contains("special")) {
            ud.push_back(byte(j, "special", ""));
            const auto m = unhex(j.at("manufacturer_data"), "/manufacturer_data");
            ud.insert(ud.end(), m.begin(), m.end());
        }
    }
    return build_long(c, a, ci, ud);
}

}  // namespace metercert::mbus
