#include "metercert/rigs/sticks/amb8465.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace metercert::rigs::sticks::amb8465 {

std::vector<std::uint8_t> factory_parameters() {
    // wmbusmeters src/wmbus_amb8465.cc, detectAMB8465AMB3665: the response of a real AMB8465 to
    // GET_REQ 00 80, after its 5-byte header FF 8A 7A 00 78 and without its checksum 0x17.
    static const char* hex =
        "0080710200000000FFFFFA00FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF003200021400FFFFFFFFFF010004000000FFFFFF0144000000000000"
        "0000FFFF0B040100FFFFFFFFFF00030000FFFFFFFFFFFFFF0000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
        "FFFFFFFFFFFFFFFF";
    std::vector<std::uint8_t> b;
    for (const char* p = hex; p[0] && p[1]; p += 2) b.push_back(static_cast<std::uint8_t>(std::stoi(std::string(p, 2), nullptr, 16)));
    return b;
}

std::uint8_t mode_code(RadioMode m) noexcept {
    switch (m) {
        case RadioMode::t1: return 0x08;
        case RadioMode::c1: return 0x0E;
        case RadioMode::s1: return 0x03;
    }
    return 0x08;
}

bool hears(std::uint8_t code, RadioMode m) noexcept {
    switch (m) {
        case RadioMode::t1: return code == 0x08 || code == 0x09;
        case RadioMode::c1: return code == 0x0E || code == 0x09;
        case RadioMode::s1: return code == 0x03;
    }
    return false;
}

std::uint8_t checksum(std::span<const std::uint8_t> bytes) noexcept {
    std::uint8_t c = 0;
    for (auto b : bytes) c ^= b;
    return c;
}

std::vector<std::uint8_t> encode(const Frame& f) {
    if (f.payload.size() > 255) throw std::invalid_argument(fmt::format("AMB8465 payload of {} bytes (at most 255)", f.payload.size()));
    std::vector<std::uint8_t> b(f.payload.size() + 4);
    b[0] = kSof, b[1] = f.cmd, b[2] = static_cast<std::uint8_t>(f.payload.size());
    std::copy(f.payload.begin(), f.payload.end(), b.begin() + 3);
    b.back() = checksum(std::span(b).first(b.size() - 1));
    return b;
}

namespace {
bool known(std::uint8_t cmd) noexcept {
    switch (cmd & 0x7F) {
        case kDataReq: case 0x02: case kDataInd: case kSetModeReq: case kResetReq: case kSetChannelReq: case kSetReq:
        case kGetReq: case kSerialNoReq: case kFwvReq: case kRssiReq: case kSetUartSpeedReq: case kFactoryResetReq:
        case 0x30: case 0x31: case 0x50:
            return true;
        default: return false;
    }
}
}  // namespace

std::optional<Frame> parse(std::span<const std::uint8_t> bytes, std::size_t& consumed) {
    if (bytes.empty()) return std::nullopt;
    if (bytes[0] != kSof) throw StickError("bad_sof", 0, fmt::format("AMB8465 command frame starts with 0x{:02X}, not 0xFF", bytes[0]));
    if (bytes.size() < 2) return std::nullopt;
    if (!known(bytes[1])) throw StickError("unknown_message", 1, fmt::format("AMB8465 has no command 0x{:02X}", bytes[1]));
    if (bytes.size() < 3) return std::nullopt;
    const std::size_t total = 4 + std::size_t{bytes[2]};
    if (bytes.size() < total) return std::nullopt;
    const std::uint8_t want = checksum(bytes.first(total - 1));
    if (bytes[total - 1] != want)
        throw StickError("bad_checksum", total - 1,
                         fmt::format("AMB8465 checksum is 0x{:02X}, the frame's bytes give 0x{:02X}", bytes[total - 1], want));
    consumed = total;
    return Frame{bytes[1], {bytes.begin() + 3, bytes.begin() + static_cast<std::ptrdiff_t>(total - 1)}};
}

int rssi_dbm(std::uint8_t raw) noexcept {
    const int v = raw >= 128 ? raw - 256 : raw;
    return v / 2 - 74;
}

std::uint8_t rssi_raw(int dbm) noexcept {
    const int v = std::clamp((dbm + 74) * 2, -128, 126);
    return static_cast<std::uint8_t>(v < 0 ? v + 256 : v);
}

std::vector<std::uint8_t> indication_payload(std::span<const std::uint8_t> telegram, std::optional<std::uint8_t> rssi) {
    const std::size_t n = telegram.empty() ? 0 : telegram.size() - 1;
    std::vector<std::uint8_t> p(n + (rssi ? 1 : 0));
    if (n) std::copy(telegram.begin() + 1, telegram.end(), p.begin());
    if (rssi) p.back() = *rssi;
    return p;
}

Indication decode_indication(std::span<const std::uint8_t> payload, bool with_rssi) {
    if (payload.size() < (with_rssi ? 11u : 10u))
        throw StickError("bad_payload", 3, fmt::format("AMB8465 data indication of {} bytes cannot hold a telegram", payload.size()));
    const auto body = payload.first(payload.size() - (with_rssi ? 1 : 0));
    Indication ind;
    ind.telegram.reserve(body.size() + 1);
    ind.telegram.push_back(static_cast<std::uint8_t>(body.size()));
    for (auto b : body) ind.telegram.push_back(b);
    if (with_rssi) ind.rssi = payload.back();
    return ind;
}

std::optional<Indication> parse_transparent(std::span<const std::uint8_t> bytes, bool with_rssi, std::size_t& consumed) {
    if (bytes.empty()) return std::nullopt;
    const std::size_t len = bytes[0];
    if (len < (with_rssi ? 11u : 10u))
        throw StickError("bad_payload", 0, fmt::format("AMB8465 transparent telegram of length {} (C, M, A and CI need 10)", len));
    if (bytes.size() < len + 1) return std::nullopt;
    consumed = len + 1;
    return decode_indication(bytes.subspan(1, len), with_rssi);
}

}  // namespace metercert::rigs::sticks::amb8465
