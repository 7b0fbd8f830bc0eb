#include "layers.hpp"

#include <vector>

#include "crypto.hpp"

namespace metercert::wmbus::detail {

// EN 13757-7:2018 Table 2 / OMS Vol. 2 Table 2, the CIs this slice reads; every other CI is a
// transport layer without header whose bytes are shown as user data.
TplCi tpl_ci(std::uint8_t ci) noexcept {
    switch (ci) {
        case 0x51: return {"data_send", 0, true};
        case 0x5A: return {"command_short_header", 4, true};
        case 0x5B: return {"command_long_header", 12, true};
        case 0x70: return {"application_error", 0, false};
        case 0x72: return {"rsp_ud_long_header", 12, true};
        case 0x78: return {"rsp_ud_no_header", 0, true};
        case 0x79: return {"compact_frame", 0, false};
        case 0x7A: return {"rsp_ud_short_header", 4, true};
        case 0x8A: return {"tpl_short_header", 4, false};
        case 0x8B: return {"tpl_long_header", 12, false};
        default: break;
    }
    if (ci >= 0xA0 && ci <= 0xB7) return {"manufacturer_specific", 0, false};
    return {"unknown", 0, false};
}

int mac_length(unsigned at) noexcept {
    switch (at) {
        case 0: return 0;
        case 5: return 8;
        case 6: return 12;
        case 7: return 16;
        default: return -1;
    }
}

void identity(const Telegram& t, std::uint8_t (&out)[8]) noexcept {
    const auto& b = t.bytes();
    if (t.tpl.header.kind == mbus::Header::Kind::long_header) {
        const std::size_t h = t.tpl_off + 1u;  // ID (4) M (2) version medium
        out[0] = b[h + 4];
        out[1] = b[h + 5];
        for (int i = 0; i < 4; ++i) out[2 + i] = b[h + static_cast<std::size_t>(i)];
        out[6] = b[h + 6];
        out[7] = b[h + 7];
        return;
    }
    for (int i = 0; i < 8; ++i) out[i] = b[2 + static_cast<std::size_t>(i)];
}

KeyQuery key_query(const Telegram& t) noexcept {
    if (t.tpl.header.kind == mbus::Header::Kind::long_header)
        return {t.tpl.header.manufacturer, t.tpl.header.id, t.tpl.header.version, t.tpl.header.medium};
    return {t.link.manufacturer, t.link.id, t.link.version, t.link.medium};
}

void mode5_iv(const Telegram& t, std::uint8_t (&iv)[16]) noexcept {
    std::uint8_t id[8];
    identity(t, id);
    for (int i = 0; i < 8; ++i) iv[i] = id[i];
    for (int i = 8; i < 16; ++i) iv[i] = t.tpl.header.access_number;
}

void ell_iv(const Telegram& t, std::uint8_t (&iv)[16]) noexcept {
    const auto& b = t.bytes();
    for (int i = 0; i < 8; ++i) iv[i] = b[2 + static_cast<std::size_t>(i)];
    iv[8] = static_cast<std::uint8_t>(t.ell.cc & ~kEllHopBit);
    for (int i = 0; i < 4; ++i) iv[9 + i] = static_cast<std::uint8_t>(t.ell.sn >> (8 * i));
    iv[13] = iv[14] = iv[15] = 0;
}

bool derive(const Key& k, const Telegram& t, Key& kenc, Key& kmac) noexcept {
    std::uint8_t id[8];
    identity(t, id);
    std::uint8_t msg[16];
    for (int i = 0; i < 4; ++i) msg[1 + i] = static_cast<std::uint8_t>(t.afl.mcr >> (8 * i));
    for (int i = 0; i < 4; ++i) msg[5 + i] = id[2 + i];
    for (int i = 9; i < 16; ++i) msg[i] = 0x07;
    std::uint8_t out[16];
    msg[0] = 0x00;
    if (!crypto::cmac(k, msg, out)) return false;
    std::copy(std::begin(out), std::end(out), kenc.bytes.begin());
    msg[0] = 0x01;
    const bool ok = crypto::cmac(k, msg, out);
    std::copy(std::begin(out), std::end(out), kmac.bytes.begin());
    crypto::wipe(out, sizeof out);
    return ok;
}

bool afl_mac(const Key& kmac, const Telegram& t, std::uint8_t (&out)[16]) noexcept {
    const auto& b = t.bytes();
    try {
        std::vector<std::uint8_t> m;
        m.reserve(8 + b.size());
        m.push_back(t.afl.mcl);
        for (int i = 0; i < 4; ++i) m.push_back(static_cast<std::uint8_t>(t.afl.mcr >> (8 * i)));
        if (t.afl.fcl & kFclMl) {
            m.push_back(static_cast<std::uint8_t>(t.afl.ml));
            m.push_back(static_cast<std::uint8_t>(t.afl.ml >> 8));
        }
        m.insert(m.end(), b.begin() + t.tpl_off, b.end());
        return crypto::cmac(kmac, m, out);
    } catch (...) {
        return false;
    }
}

}  // namespace metercert::wmbus::detail
