#include "metercert/mbus/tables.hpp"

#include <algorithm>
#include <array>
#include <cstring>

#include <fmt/format.h>

namespace metercert::mbus {

std::string_view medium_name(std::uint8_t m) noexcept {
    // EN 13757-3:2013 Table 3 and OMS Vol.2 (issue 4.1.2) Table 2.
    switch (m) {
        case 0x00: return "other";
        case 0x01: return "oil";
        case 0x02: return "electricity";
        case 0x03: return "gas";
        case 0x04: return "heat_outlet";
        case 0x05: return "steam";
        case 0x06: return "warm_water";
        case 0x07: return "water";
        case 0x08: return "heat_cost_allocator";
        case 0x09: return "compressed_air";
        case 0x0A: return "cooling_outlet";
        case 0x0B: return "cooling_inlet";
        case 0x0C: return "heat_inlet";
        case 0x0D: return "heat_cooling";
        case 0x0E: return "bus_system_component";
        case 0x0F: return "unknown_medium";
        case 0x10: return "irrigation_water";
        case 0x11: return "water_data_logger";
        case 0x12: return "gas_data_logger";
        case 0x13: return "gas_converter";
        case 0x14: return "calorific_value";
        case 0x15: return "hot_water";
        case 0x16: return "cold_water";
        case 0x17: return "dual_register_water";
        case 0x18: return "pressure";
        case 0x19: return "ad_converter";
        case 0x1A: return "smoke_detector";
        case 0x1B: return "room_sensor";
        case 0x1C: return "gas_detector";
        case 0x20: return "breaker_electricity";
        case 0x21: return "valve";
        case 0x25: return "customer_unit";
        case 0x28: return "waste_water";
        case 0x29: return "garbage";
        case 0x2A: return "carbon_dioxide";
        case 0x31: return "communication_controller";
        case 0x32: return "unidirectional_repeater";
        case 0x33: return "bidirectional_repeater";
        case 0x36: return "radio_converter_system_side";
        case 0x37: return "radio_converter_meter_side";
        case 0x38: return "wired_adapter";
        default: return "reserved";
    }
}

std::string manufacturer_letters(std::uint16_t code) {
    std::string s(3, '@');
    s[0] = static_cast<char>('@' + ((code >> 10) & 0x1F));
    s[1] = static_cast<char>('@' + ((code >> 5) & 0x1F));
    s[2] = static_cast<char>('@' + (code & 0x1F));
    return s;
}

std::optional<std::uint16_t> manufacturer_code(std::string_view l) noexcept {
    if (l.size() != 3) return std::nullopt;
    unsigned v = 0;
    for (char ch : l) {
        if (ch < 'A' || ch > 'Z') return std::nullopt;
        v = (v << 5) | static_cast<unsigned>(ch - '@');
    }
    return static_cast<std::uint16_t>(v);
}

std::size_t status_flags(std::uint8_t st, std::string_view* out) noexcept {
    std::size_t n = 0;
    switch (st & 3) {
        case 1: out[n++] = "application_busy"; break;
        case 2: out[n++] = "application_error"; break;
        case 3: out[n++] = "abnormal_condition"; break;
        default: break;
    }
    if (st & 0x04) out[n++] = "power_low";
    if (st & 0x08) out[n++] = "permanent_error";
    if (st & 0x10) out[n++] = "temporary_error";
    if (st & 0x20) out[n++] = "manufacturer_5";
    if (st & 0x40) out[n++] = "manufacturer_6";
    if (st & 0x80) out[n++] = "manufacturer_7";
    return n;
}

std::string_view function_name(std::uint8_t f) noexcept {
    switch (f & 3) {
        case 0: return "instantaneous";
        case 1: return "maximum";
        case 2: return "minimum";
        default: return "error";
    }
}

void VibMeaning::set_unit(std::string_view u) noexcept {
    unit_len = static_cast<std::uint8_t>(std::min(u.size(), sizeof unit));
    std::memcpy(unit, u.data(), unit_len);
}

void VibMeaning::append_unit(std::string_view u) noexcept {
    if (unit_len + u.size() > sizeof unit) return;  // cannot happen: see the size of `unit`
    std::memcpy(unit + unit_len, u.data(), u.size());
    unit_len = static_cast<std::uint8_t>(unit_len + u.size());
}

namespace {

constexpr std::array<std::int64_t, 4> kTimeFactor{1, 60, 3600, 86400};  // s, min, h, d

void set(VibMeaning& m, std::string_view q, std::string_view unit, int exp = 0, std::int64_t factor = 1) {
    m.quantity = q;
    m.set_unit(unit);
    m.scale = {factor, exp};
}

void duration(VibMeaning& m, std::string_view q, unsigned nn) { set(m, q, "s", 0, kTimeFactor[nn & 3]); }

// hours, days, months, years (EN 13757-3 Table 14 "pp" codes)
void duration_pp(VibMeaning& m, std::string_view q, unsigned pp) {
    switch (pp & 3) {
        case 0: set(m, q, "s", 0, 3600); break;
        case 1: set(m, q, "s", 0, 86400); break;
        case 2: set(m, q, "month"); break;
        default: set(m, q, "year"); break;
    }
}

void reserved(VibMeaning& m) {
    m.quantity = "reserved";
    m.unit_len = 0;
    m.reserved = true;
    m.numeric = false;
}

void identifier(VibMeaning& m, std::string_view q) {
    m.quantity = q;
    m.unit_len = 0;
    m.numeric = false;
    m.bitfield = true;
}

void primary(VibMeaning& m, unsigned v) {
    const int n3 = static_cast<int>(v & 7);
    const unsigned n2 = v & 3;
    if (v <= 0x07) return set(m, "energy", "Wh", n3 - 3);
    if (v <= 0x0F) return set(m, "energy", "J", n3);
    if (v <= 0x17) return set(m, "volume", "m3", n3 - 6);
    if (v <= 0x1F) return set(m, "mass", "kg", n3 - 3);
    if (v <= 0x23) return duration(m, "on_time", n2);
    if (v <= 0x27) return duration(m, "operating_time", n2);
    if (v <= 0x2F) return set(m, "power", "W", n3 - 3);
    if (v <= 0x37) return set(m, "power", "J/h", n3);
    if (v <= 0x3F) return set(m, "volume_flow", "m3/h", n3 - 6);
    if (v <= 0x47) return set(m, "volume_flow", "m3/h", n3 - 7, 60);     // m3/min → m3/h
    if (v <= 0x4F) return set(m, "volume_flow", "m3/h", n3 - 9, 3600);   // m3/s → m3/h
    if (v <= 0x57) return set(m, "mass_flow", "kg/h", n3 - 3);
    if (v <= 0x5B) return set(m, "flow_temperature", "°C", static_cast<int>(n2) - 3);
    if (v <= 0x5F) return set(m, "return_temperature", "°C", static_cast<int>(n2) - 3);
    if (v <= 0x63) return set(m, "temperature_difference", "K", static_cast<int>(n2) - 3);
    if (v <= 0x67) return set(m, "external_temperature", "°C", static_cast<int>(n2) - 3);
    if (v <= 0x6B) return set(m, "pressure", "bar", static_cast<int>(n2) - 3);
    if (v == 0x6C) {
        m.date = DateHint::date;
        m.numeric = false;
        return set(m, "date", "");
    }
    if (v == 0x6D) {
        m.date = DateHint::datetime;
        m.numeric = false;
        return set(m, "datetime", "");
    }
    if (v == 0x6E) return set(m, "hca_units", "");
    if (v == 0x6F) return reserved(m);
    if (v <= 0x73) return duration(m, "averaging_duration", n2);
    if (v <= 0x77) return duration(m, "actuality_duration", n2);
    if (v == 0x78) return identifier(m, "fabrication_number");
    if (v == 0x79) return identifier(m, "enhanced_identification");
    if (v == 0x7A) return identifier(m, "bus_address");
    if (v == 0x7C) {
        m.quantity = "plain_text_unit";
        return;
    }
    if (v == 0x7E) return set(m, "any", "");
    // 0x7F manufacturer specific (0x7B/0x7D handled by the caller)
    m.quantity = "manufacturer_specific";
    m.numeric = false;
}

// EN 13757-3:2013 Table 14 (main VIFE-code extension table, after VIF 0xFD).
void fd_table(VibMeaning& m, unsigned v) {
    const unsigned n2 = v & 3;
    if (v <= 0x03) return set(m, "credit", "currency", static_cast<int>(n2) - 3);
    if (v <= 0x07) return set(m, "debit", "currency", static_cast<int>(n2) - 3);
    switch (v) {
        case 0x08: return identifier(m, "access_number");
        case 0x09: return identifier(m, "medium");
        case 0x0A: return identifier(m, "manufacturer");
        case 0x0B: return identifier(m, "parameter_set_identification");
        case 0x0C: return identifier(m, "model_version");
        case 0x0D: return identifier(m, "hardware_version");
        case 0x0E: return identifier(m, "firmware_version");
        case 0x0F: return identifier(m, "software_version");
        case 0x10: return identifier(m, "customer_location");
        case 0x11: return identifier(m, "customer");
        case 0x12: return identifier(m, "access_code_user");
        case 0x13: return identifier(m, "access_code_operator");
        case 0x14: return identifier(m, "access_code_system_operator");
        case 0x15: return identifier(m, "access_code_developer");
        case 0x16: return identifier(m, "password");
        case 0x17: return identifier(m, "error_flags");
        case 0x18: return identifier(m, "error_mask");
        case 0x1A: return identifier(m, "digital_output");
        case 0x1B: return identifier(m, "digital_input");
        case 0x1C: return set(m, "baud_rate", "Bd");
        case 0x1D: return set(m, "response_delay_time", "bit_times");
        case 0x1E: return set(m, "retry", "");
        case 0x20: return set(m, "first_storage_number", "");
        case 0x21: return set(m, "last_storage_number", "");
        case 0x22: return set(m, "storage_block_size", "");
        case 0x28: return set(m, "storage_interval", "month");
        case 0x29: return set(m, "storage_interval", "year");
        case 0x30:
            m.date = DateHint::datetime;
            m.numeric = false;
            return set(m, "tariff_start", "");
        case 0x38: return set(m, "tariff_period", "month");
        case 0x39: return set(m, "tariff_period", "year");
        case 0x3A: return set(m, "dimensionless", "");
        case 0x60: return set(m, "reset_counter", "");
        case 0x61: return set(m, "cumulation_counter", "");
        case 0x62: return identifier(m, "control_signal");
        case 0x63: return set(m, "day_of_week", "");
        case 0x64: return set(m, "week_number", "");
        case 0x65: return set(m, "time_point_of_day_change", "");
        case 0x66: return identifier(m, "parameter_activation_state");
        case 0x67: return identifier(m, "special_supplier_information");
        case 0x70:
            m.date = DateHint::datetime;
            m.numeric = false;
            return set(m, "battery_change_datetime", "");
        case 0x71: return set(m, "rf_level", "dBm");
        case 0x72:
            m.date = DateHint::dst;
            m.numeric = false;
            return set(m, "daylight_saving", "");
        case 0x73: return identifier(m, "listening_window_management");
        case 0x74: return set(m, "remaining_battery_life", "s", 0, 86400);
        case 0x75: return set(m, "stop_count", "");
        case 0x76: return identifier(m, "manufacturer_data_container");
        default: break;
    }
    if (v >= 0x24 && v <= 0x27) return duration(m, "storage_interval", n2);
    if (v >= 0x2C && v <= 0x2F) return duration(m, "duration_since_last_readout", n2);
    if (v >= 0x31 && v <= 0x33) return duration(m, "tariff_duration", n2);
    if (v >= 0x34 && v <= 0x37) return duration(m, "tariff_period", n2);
    if (v >= 0x40 && v <= 0x4F) return set(m, "voltage", "V", static_cast<int>(v & 0xF) - 9);
    if (v >= 0x50 && v <= 0x5F) return set(m, "current", "A", static_cast<int>(v & 0xF) - 12);
    if (v >= 0x68 && v <= 0x6B) return duration_pp(m, "duration_since_last_cumulation", n2);
    if (v >= 0x6C && v <= 0x6F) return duration_pp(m, "battery_operating_time", n2);
    reserved(m);
}

// EN 13757-3:2013 Table 13 (alternate extended VIF-code table, after VIF 0xFB), with the
// reactive-energy codes 0x02/0x03 of EN 13757-3:2018 that the CMi1020 uses (FB 82 …).
void fb_table(VibMeaning& m, unsigned v) {
    const int n1 = static_cast<int>(v & 1);
    const int n2 = static_cast<int>(v & 3);
    if (v <= 0x01) return set(m, "energy", "Wh", n1 + 5);           // 10^(n-1) MWh
    if (v <= 0x03) return set(m, "reactive_energy", "varh", n1 + 3);  // 10^n kvarh
    if (v == 0x08 || v == 0x09) return set(m, "energy", "J", n1 + 8);  // 10^(n-1) GJ
    if (v == 0x10 || v == 0x11) return set(m, "volume", "m3", n1 + 2);
    if (v == 0x18 || v == 0x19) return set(m, "mass", "kg", n1 + 5);    // 10^(n+2) t
    if (v == 0x21) return set(m, "volume", "m3", -13, 28316846592);     // 0.1 ft³ (exact)
    if (v == 0x22) return set(m, "volume", "m3", -13, 3785411784);      // 0.1 US gal (exact)
    if (v == 0x23) return set(m, "volume", "m3", -12, 3785411784);      // 1 US gal
    if (v == 0x24) return set(m, "volume_flow", "m3/h", -15, 3785411784LL * 60);  // 0.001 gal/min
    if (v == 0x25) return set(m, "volume_flow", "m3/h", -12, 3785411784LL * 60);  // gal/min
    if (v == 0x26) return set(m, "volume_flow", "m3/h", -12, 3785411784);         // gal/h
    if (v == 0x28 || v == 0x29) return set(m, "power", "W", n1 + 5);   // 10^(n-1) MW
    if (v == 0x30 || v == 0x31) return set(m, "power", "J/h", n1 + 8); // 10^(n-1) GJ/h
    if (v >= 0x58 && v <= 0x5B) return set(m, "flow_temperature", "°F", n2 - 3);
    if (v >= 0x5C && v <= 0x5F) return set(m, "return_temperature", "°F", n2 - 3);
    if (v >= 0x60 && v <= 0x63) return set(m, "temperature_difference", "°F", n2 - 3);
    if (v >= 0x64 && v <= 0x67) return set(m, "external_temperature", "°F", n2 - 3);
    if (v >= 0x70 && v <= 0x73) return set(m, "temperature_limit", "°F", n2 - 3);
    if (v >= 0x74 && v <= 0x77) return set(m, "temperature_limit", "°C", n2 - 3);
    if (v >= 0x78) return set(m, "cumulative_max_power", "W", static_cast<int>(v & 7) - 3);
    reserved(m);
}

void per(VibMeaning& m, std::string_view suffix) {
    const std::string_view u = m.unit_view();
    if (suffix == "/h" && u == "Wh") {  // energy per hour is power
        m.quantity = "power";
        return m.set_unit("W");
    }
    if (suffix == "/h" && u == "varh") {
        m.quantity = "reactive_power";
        return m.set_unit("var");
    }
    m.append_unit(suffix);
}

// Combinable (orthogonal) VIFEs, EN 13757-3:2013 Table 15. Returns false when the rest of the
// VIFE chain is manufacturer specific (0x7F).
bool combinable(VibMeaning& m, unsigned v) {
    static constexpr std::array<std::string_view, 7> kPer{"/s", "/min", "/h", "/d", "/week", "/month", "/year"};
    if (v >= 0x20 && v <= 0x26) {
        per(m, kPer[v - 0x20]);
        return true;
    }
    switch (v) {
        case 0x2C: per(m, "/l"); return true;
        case 0x2D: per(m, "/m3"); return true;
        case 0x2E: per(m, "/kg"); return true;
        case 0x2F: per(m, "/K"); return true;
        case 0x30: per(m, "/kWh"); return true;
        case 0x31: per(m, "/GJ"); return true;
        case 0x32: per(m, "/kW"); return true;
        case 0x33: per(m, "/(K·l)"); return true;
        case 0x34: per(m, "/V"); return true;
        case 0x35: per(m, "/A"); return true;
        case 0x36: m.append_unit("·s"); return true;
        case 0x37: m.append_unit("·s/V"); return true;
        case 0x38: m.append_unit("·s/A"); return true;
        case 0x39: case 0x42: case 0x43: case 0x46: case 0x47: case 0x4A: case 0x4B:
        case 0x4E: case 0x4F: case 0x6A: case 0x6B: case 0x6E: case 0x6F:
            m.date = DateHint::datetime;
            m.numeric = false;
            m.unit_len = 0;
            m.scale = {1, 0};
            return true;
        case 0x41: case 0x49:
            m.unit_len = 0;
            m.scale = {1, 0};
            return true;
        case 0x7D: m.scale.exponent += 3; return true;
        case 0x7F: return false;
        default: break;
    }
    if (v >= 0x50 && v <= 0x67) {
        m.set_unit("s");
        m.scale = {kTimeFactor[v & 3], 0};
        return true;
    }
    if (v >= 0x70 && v <= 0x77) {
        m.scale.exponent += static_cast<int>(v & 7) - 6;
        return true;
    }
    return true;  // error codes, flow direction, additive correction…: qualifiers only
}

}  // namespace

VibMeaning interpret_vib(std::uint8_t vif, const std::uint8_t* vife, std::size_t n_vife) noexcept {
    VibMeaning m;
    const unsigned p = vif & 0x7Fu;
    std::size_t i = 0;
    if (p == 0x7D || p == 0x7B || p == 0x6F) {
        if (n_vife == 0 || (vif & 0x80) == 0) {
            reserved(m);
            return m;
        }
        const unsigned code = vife[0] & 0x7Fu;
        i = 1;
        if (p == 0x7D) fd_table(m, code);
        else if (p == 0x7B) fb_table(m, code);
        else reserved(m);
    } else {
        primary(m, p);
        if (p == 0x7F) return m;  // VIFEs after 0x7F/0xFF are manufacturer specific
    }
    for (; i < n_vife; ++i)
        if (!combinable(m, vife[i] & 0x7Fu)) break;
    return m;
}

std::string vife_description(std::uint8_t vife) {
    const unsigned v = vife & 0x7Fu;
    static constexpr std::array<std::string_view, 32> kErr{
        "none", "too many DIFEs", "storage number not implemented", "unit number not implemented",
        "tariff number not implemented", "function not implemented", "data class not implemented",
        "data size not implemented", "reserved", "reserved", "reserved", "too many VIFEs",
        "illegal VIF-group", "illegal VIF-exponent", "VIF/DIF mismatch", "unimplemented action",
        "reserved", "reserved", "reserved", "reserved", "reserved", "no data available",
        "data overflow", "data underflow", "data error", "reserved", "reserved", "reserved",
        "premature end of record", "reserved", "reserved", "reserved"};
    if (v < 0x20) return fmt::format("record error: {}", kErr[v]);
    if (v >= 0x20 && v <= 0x26) {
        static constexpr std::array<std::string_view, 7> kPer{"second", "minute", "hour", "day", "week", "month", "year"};
        return fmt::format("per {}", kPer[v - 0x20]);
    }
    switch (v) {
        case 0x27: return "per measurement";
        case 0x28: case 0x29: return fmt::format("increment per input pulse on channel {}", v & 1);
        case 0x2A: case 0x2B: return fmt::format("increment per output pulse on channel {}", v & 1);
        case 0x2C: return "per litre";
        case 0x2D: return "per m3";
        case 0x2E: return "per kg";
        case 0x2F: return "per K";
        case 0x30: return "per kWh";
        case 0x31: return "per GJ";
        case 0x32: return "per kW";
        case 0x33: return "per K·l";
        case 0x34: return "per V";
        case 0x35: return "per A";
        case 0x36: return "multiplied by s";
        case 0x37: return "multiplied by s/V";
        case 0x38: return "multiplied by s/A";
        case 0x39: return "start date(/time) of";
        case 0x3A: return "uncorrected unit";
        case 0x3B: return "forward flow";
        case 0x3C: return "backward flow";
        case 0x3E: return "value at base conditions";
        case 0x3F: return "OBIS declaration";
        case 0x40: return "lower limit value";
        case 0x48: return "upper limit value";
        case 0x41: return "number of exceeds of lower limit";
        case 0x49: return "number of exceeds of upper limit";
        case 0x7D: return "multiplicative correction 10^3";
        case 0x7E: return "future value";
        case 0x7F: return "manufacturer specific VIFEs follow";
        default: break;
    }
    const char* ul = (v & 0x08) ? "upper" : "lower";
    const char* fl = (v & 0x04) ? "last" : "first";
    if ((v & 0xF2) == 0x42) return fmt::format("date(/time) of {} of {} {} limit exceed", (v & 1) ? "end" : "begin", fl, ul);
    if (v >= 0x50 && v <= 0x5F) return fmt::format("duration of {} {} limit exceed", fl, ul);
    if (v >= 0x60 && v <= 0x67) return fmt::format("duration of {}", fl);
    if (v == 0x68 || v == 0x6C) return fmt::format("value during {} limit exceed", (v & 4) ? "upper" : "lower");
    if (v == 0x69) return "leakage values";
    if (v == 0x6D) return "overflow values";
    if (v == 0x6A || v == 0x6B || v == 0x6E || v == 0x6F)
        return fmt::format("date(/time) of {} {}", (v & 1) ? "end" : "begin", (v & 4) ? "last" : "first");
    if (v >= 0x70 && v <= 0x77) return fmt::format("multiplicative correction 10^{}", static_cast<int>(v & 7) - 6);
    if (v >= 0x78 && v <= 0x7B) return fmt::format("additive correction 10^{} unit", static_cast<int>(v & 3) - 3);
    return "reserved";
}

}  // namespace metercert::mbus

namespace metercert::mbus {

std::string_view vife_description_view(std::uint8_t vife) noexcept {
    static const std::array<std::string, 128> kTable = [] {
        std::array<std::string, 128> t;
        for (unsigned i = 0; i < 128; ++i) t[i] = vife_description(static_cast<std::uint8_t>(i));
        return t;
    }();
    return kTable[vife & 0x7F];
}

}  // namespace metercert::mbus

// ---------------------------------------------------------------- fixed data structure
// m-bus.com "Application layer" §6.2 (fixed data structure) and the appendix's data type E
// (compound CP16: unit 1 in bits 1–6, unit 2 in bits 9–14, medium in bits 7, 8, 15, 16).

namespace metercert::mbus {

std::string_view fixed_medium_name(std::uint8_t m) noexcept {
    static constexpr std::array<std::string_view, 16> kNames{
        "other", "oil", "electricity", "gas", "heat", "steam", "hot_water", "water", "heat_cost_allocator", "reserved",
        "gas_mode_2", "heat_mode_2", "hot_water_mode_2", "water_mode_2", "heat_cost_allocator_mode_2", "reserved"};
    return kNames[m & 0x0F];
}

VibMeaning fixed_unit(std::uint8_t code) noexcept {
    VibMeaning m;
    const int c = code & 0x3F;
    auto put = [&m](std::string_view q, std::string_view unit, int exp) {
        m.quantity = q;
        m.set_unit(unit);
        m.scale = {1, exp};
    };
    if (c == 0x00) put("time_hms", "", 0);                          // "h,m,s": the register as sent
    else if (c == 0x01) put("date_dmy", "", 0);                     // "D,M,Y": the register as sent
    else if (c <= 0x0A) put("energy", "Wh", c - 0x02);              // Wh … 100 MWh
    else if (c <= 0x13) put("energy", "J", c - 0x0B + 3);           // kJ … 100 GJ
    else if (c <= 0x1C) put("power", "W", c - 0x14);                // W … 100 MW
    else if (c <= 0x25) put("power", "J/h", c - 0x1D + 3);          // kJ/h … 100 GJ/h
    else if (c <= 0x2E) put("volume", "m3", c - 0x26 - 6);          // ml … 100 m3
    else if (c <= 0x37) put("volume_flow", "m3/h", c - 0x2F - 6);   // ml/h … 100 m3/h
    else if (c == 0x38) put("temperature", "°C", -3);               // °C · 10^-3
    else if (c == 0x39) put("hca_units", "", 0);                    // units for HCA
    else if (c == 0x3F) put("dimensionless", "", 0);                // without units
    else {                                                          // 3A–3D reserved; 3E see telegram.hpp
        m.quantity = "reserved";
        m.reserved = true;
    }
    return m;
}

std::size_t fixed_status_flags(std::uint8_t st, std::string_view* out) noexcept {
    static constexpr std::array<std::string_view, 8> kNames{"counter_binary", "counter_fixed_date", "power_low",
                                                            "permanent_error", "temporary_error", "manufacturer_5",
                                                            "manufacturer_6", "manufacturer_7"};
    std::size_t n = 0;
    for (unsigned i = 0; i < 8; ++i)
        if (st & (1u << i)) out[n++] = kNames[i];
    return n;
}

}  // namespace metercert::mbus

namespace metercert::mbus {

std::string_view application_error_name(std::uint8_t code) noexcept {
    static constexpr std::array<std::string_view, 10> kNames{
        "unspecified_error", "unimplemented_ci", "buffer_too_long", "too_many_records", "premature_end_of_record",
        "too_many_difes", "too_many_vifes", "reserved", "application_busy", "too_many_readouts"};
    return code < kNames.size() ? kNames[code] : "reserved";
}

}  // namespace metercert::mbus
