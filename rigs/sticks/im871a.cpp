#include "metercert/rigs/sticks/im871a.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace metercert::rigs::sticks::im871a {

std::uint8_t link_mode_code(RadioMode m) noexcept {
    switch (m) {
        case RadioMode::t1: return 0x03;
        case RadioMode::c1: return 0x06;
        case RadioMode::s1: return 0x00;
    }
    return 0x03;
}

std::optional<RadioMode> radio_mode_of(std::uint8_t code) noexcept {
    switch (code) {
        case 0x00: return RadioMode::s1;
        case 0x03: return RadioMode::t1;
        case 0x06: return RadioMode::c1;
        default: return std::nullopt;
    }
}

std::uint16_t crc16(std::span<const std::uint8_t> bytes) noexcept {
    std::uint16_t crc = 0xFFFF;
    for (const std::uint8_t b : bytes) {
        crc ^= b;
        for (int i = 0; i < 8; ++i) crc = (crc & 1) ? static_cast<std::uint16_t>((crc >> 1) ^ 0x8408) : static_cast<std::uint16_t>(crc >> 1);
    }
    return static_cast<std::uint16_t>(~crc);
}

std::vector<std::uint8_t> encode(const Frame& f) {
    if (f.payload.size() > 255) throw std::invalid_argument(fmt::format("iM871A payload of {} bytes (at most 255)", f.payload.size()));
    if (f.endpoint > 0x0F) throw std::invalid_argument(fmt::format("iM871A endpoint {} (at most 15)", f.endpoint));
    std::vector<std::uint8_t> b;
    b.reserve(f.payload.size() + 11);
    const std::uint8_t ctrl = static_cast<std::uint8_t>((f.crc ? kFlagCrc : 0) | (f.rssi ? kFlagRssi : 0) |
                                                        (f.timestamp ? kFlagTimestamp : 0) | f.endpoint);
    b.resize(4 + f.payload.size());
    b[0] = kSof, b[1] = ctrl, b[2] = f.msg, b[3] = static_cast<std::uint8_t>(f.payload.size());
    std::copy(f.payload.begin(), f.payload.end(), b.begin() + 4);
    if (f.timestamp)
        for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(*f.timestamp >> (8 * i)));
    if (f.rssi) b.push_back(*f.rssi);
    if (f.crc) {
        const std::uint16_t c = crc16(std::span(b).subspan(1));
        b.push_back(static_cast<std::uint8_t>(c & 0xFF));
        b.push_back(static_cast<std::uint8_t>(c >> 8));
    }
    return b;
}

namespace {
// The highest message ID of each endpoint (wmbusmeters checkIM871AFrame).
std::uint8_t last_msg(std::uint8_t endpoint) noexcept {
    switch (endpoint) {
        case kDevMgmt: return kDevMgmtLast;
        case kRadioLink: return 0x05;
        case kRadioLinkTest: return 0x07;
        case kHwTest: return 0x02;
        default: return 0;
    }
}
}  // namespace

std::optional<Frame> parse(std::span<const std::uint8_t> bytes, std::size_t& consumed) {
    if (bytes.empty()) return std::nullopt;
    if (bytes[0] != kSof) throw StickError("bad_sof", 0, fmt::format("iM871A frame starts with 0x{:02X}, not 0xA5", bytes[0]));
    if (bytes.size() < 2) return std::nullopt;
    const std::uint8_t ctrl = bytes[1];
    if (ctrl & kFlagReserved) throw StickError("reserved_bit", 1, fmt::format("iM871A control field 0x{:02X} has the reserved bit 0x10 set", ctrl));
    const std::uint8_t endpoint = ctrl & 0x0F;
    if (last_msg(endpoint) == 0) throw StickError("unknown_message", 1, fmt::format("iM871A endpoint {} is not 1…4", endpoint));
    if (bytes.size() < 4) return std::nullopt;
    const std::uint8_t msg = bytes[2];
    if (msg < 1 || msg > last_msg(endpoint))
        throw StickError("unknown_message", 2, fmt::format("iM871A endpoint {} has no message 0x{:02X}", endpoint, msg));
    const std::size_t len = bytes[3];
    const bool has_ts = ctrl & kFlagTimestamp, has_rssi = ctrl & kFlagRssi, has_crc = ctrl & kFlagCrc;
    const std::size_t total = 4 + len + (has_ts ? 4 : 0) + (has_rssi ? 1 : 0) + (has_crc ? 2 : 0);
    if (bytes.size() < total) return std::nullopt;
    Frame f;
    f.endpoint = endpoint;
    f.msg = msg;
    f.crc = has_crc;
    f.payload.assign(bytes.begin() + 4, bytes.begin() + 4 + static_cast<std::ptrdiff_t>(len));
    std::size_t i = 4 + len;
    if (has_ts) {
        f.timestamp = static_cast<std::uint32_t>(bytes[i] | bytes[i + 1] << 8 | bytes[i + 2] << 16 | static_cast<std::uint32_t>(bytes[i + 3]) << 24);
        i += 4;
    }
    if (has_rssi) f.rssi = bytes[i++];
    if (has_crc) {
        const std::uint16_t want = crc16(bytes.subspan(1, i - 1));
        const std::uint16_t got = static_cast<std::uint16_t>(bytes[i] | bytes[i + 1] << 8);
        if (want != got) throw StickError("bad_crc", i, fmt::format("iM871A CRC-16 is 0x{:04X}, the frame's bytes give 0x{:04X}", got, want));
    }
    consumed = total;
    return f;
}

int rssi_dbm(std::uint8_t raw) noexcept { return static_cast<int>(std::lround(raw * 8.0 / 15.0 - 380.0 / 3.0)); }

std::uint8_t rssi_raw(int dbm) noexcept {
    const long v = std::lround((dbm + 380.0 / 3.0) * 15.0 / 8.0);
    return static_cast<std::uint8_t>(std::clamp(v, 0L, 255L));
}

std::vector<std::uint8_t> encode_device_info(const DeviceInfo& d) {
    return {d.module_type,
            d.device_mode,
            d.firmware,
            d.hci,
            static_cast<std::uint8_t>(d.uid),
            static_cast<std::uint8_t>(d.uid >> 8),
            static_cast<std::uint8_t>(d.uid >> 16),
            static_cast<std::uint8_t>(d.uid >> 24)};
}

DeviceInfo decode_device_info(std::span<const std::uint8_t> p) {
    if (p.size() < 8) throw StickError("bad_payload", 4 + p.size(), fmt::format("iM871A device info of {} bytes (8 needed)", p.size()));
    DeviceInfo d;
    d.module_type = p[0];
    d.device_mode = p[1];
    d.firmware = p[2];
    d.hci = p[3];
    d.uid = static_cast<std::uint32_t>(p[4] | p[5] << 8 | p[6] << 16 | static_cast<std::uint32_t>(p[7]) << 24);
    return d;
}

std::vector<std::uint8_t> encode_config(const Config& c) {
    std::vector<std::uint8_t> b;
    auto put_le = [&](std::uint32_t v, int n) {
        for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
    };
    std::uint8_t f1 = 0;
    const std::size_t at1 = b.size();
    b.push_back(0);
    if (c.device_mode) f1 |= 0x01, b.push_back(*c.device_mode);
    if (c.link_mode) f1 |= 0x02, b.push_back(*c.link_mode);
    if (c.c_field) f1 |= 0x04, b.push_back(*c.c_field);
    if (c.manufacturer) f1 |= 0x08, put_le(*c.manufacturer, 2);
    if (c.id) f1 |= 0x10, put_le(*c.id, 4);
    if (c.version) f1 |= 0x20, b.push_back(*c.version);
    if (c.device_type) f1 |= 0x40, b.push_back(*c.device_type);
    if (c.radio_channel) f1 |= 0x80, b.push_back(*c.radio_channel);
    b[at1] = f1;
    std::uint8_t f2 = 0;
    const std::size_t at2 = b.size();
    b.push_back(0);
    const std::optional<std::uint8_t>* second[] = {&c.power_level, &c.data_rate, &c.rx_window, &c.auto_power_saving,
                                                   &c.auto_rssi,   &c.auto_timestamp, &c.led, &c.rtc};
    for (int i = 0; i < 8; ++i)
        if (*second[i]) f2 |= static_cast<std::uint8_t>(1u << i), b.push_back(**second[i]);
    b[at2] = f2;
    return b;
}

Config decode_config(std::span<const std::uint8_t> p) {
    Config c;
    std::size_t i = 0;
    auto need = [&](std::size_t n, const char* what) {
        if (i + n > p.size())
            throw StickError("bad_payload", 4 + i, fmt::format("iM871A configuration: {} flagged but the payload ends", what));
    };
    auto u8 = [&](const char* what) {
        need(1, what);
        return p[i++];
    };
    need(1, "IIFlag1");
    const std::uint8_t f1 = p[i++];
    if (f1 & 0x01) c.device_mode = u8("device mode");
    if (f1 & 0x02) c.link_mode = u8("link mode");
    if (f1 & 0x04) c.c_field = u8("C-field");
    if (f1 & 0x08) {
        need(2, "manufacturer");
        c.manufacturer = static_cast<std::uint16_t>(p[i] | p[i + 1] << 8);
        i += 2;
    }
    if (f1 & 0x10) {
        need(4, "identification");
        c.id = static_cast<std::uint32_t>(p[i] | p[i + 1] << 8 | p[i + 2] << 16 | static_cast<std::uint32_t>(p[i + 3]) << 24);
        i += 4;
    }
    if (f1 & 0x20) c.version = u8("version");
    if (f1 & 0x40) c.device_type = u8("device type");
    if (f1 & 0x80) c.radio_channel = u8("radio channel");
    if (i == p.size()) return c;
    const std::uint8_t f2 = p[i++];
    std::optional<std::uint8_t>* second[] = {&c.power_level, &c.data_rate, &c.rx_window, &c.auto_power_saving,
                                             &c.auto_rssi,   &c.auto_timestamp, &c.led, &c.rtc};
    static const char* names[] = {"radio power level", "radio data rate", "radio RX window", "auto power saving",
                                  "auto RSSI attachment", "auto RX timestamp attachment", "LED control", "RTC control"};
    for (int b = 0; b < 8; ++b)
        if (f2 & (1u << b)) *second[b] = u8(names[b]);
    return c;
}

std::vector<std::uint8_t> indication_payload(std::span<const std::uint8_t> telegram) {
    if (telegram.empty()) return {};
    return {telegram.begin() + 1, telegram.end()};
}

std::vector<std::uint8_t> telegram_of_indication(std::span<const std::uint8_t> payload) {
    std::vector<std::uint8_t> t(payload.size() + 1);
    t[0] = static_cast<std::uint8_t>(payload.size());
    std::copy(payload.begin(), payload.end(), t.begin() + 1);
    return t;
}

}  // namespace metercert::rigs::sticks::im871a
