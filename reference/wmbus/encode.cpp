#include "metercert/wmbus/encode.hpp"

#include <fmt/format.h>

#include "crypto.hpp"
#include "layers.hpp"
#include "metercert/wmbus/crc.hpp"

namespace metercert::wmbus {

namespace {

[[noreturn]] void fail(ErrorCode code, std::size_t off, std::string detail) {
    DecodeError e;
    e.code = code;
    e.offset = off;
    e.detail = std::move(detail);
    throw DecodeFailure(std::move(e));
}

void put(std::vector<std::uint8_t>& out, std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Key key_for(const KeyLookup* keys, const Telegram& t, std::string_view what) {
    Key k;
    if (!keys || !*keys || !(*keys)(detail::key_query(t), k)) fail(ErrorCode::no_key, 0, fmt::format("{} and no key for this meter", what));
    return k;
}

// The CRC'd wire frame of a logical frame (L already set).
std::vector<std::uint8_t> with_crcs(const std::vector<std::uint8_t>& b, CrcFormat f) {
    std::vector<std::uint8_t> w;
    auto block = [&](std::size_t from, std::size_t to) {
        w.insert(w.end(), b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(to));
        const std::uint16_t c = crc16(std::span(b).subspan(from, to - from));
        w.push_back(static_cast<std::uint8_t>(c >> 8));
        w.push_back(static_cast<std::uint8_t>(c));
    };
    if (f == CrcFormat::a) {
        block(0, 10);
        for (std::size_t p = 10; p < b.size(); p += 16) block(p, std::min(b.size(), p + 16));
    } else if (f == CrcFormat::b) {
        if (b.size() <= 126) {
            block(0, b.size());
        } else {
            block(0, 126);
            block(126, b.size());
        }
    } else {
        w = b;
    }
    return w;
}

}  // namespace

std::uint16_t config_field(unsigned mode, unsigned blocks, bool synchronous, bool accessibility, bool bidirectional, unsigned content) {
    return static_cast<std::uint16_t>((bidirectional ? 0x8000u : 0u) | (accessibility ? 0x4000u : 0u) | (synchronous ? 0x2000u : 0u) |
                                      ((mode & 0x1Fu) << 8) | ((blocks & 0xFu) << 4) | ((content & 3u) << 2));
}

std::vector<std::uint8_t> encode(const FrameSpec& s, const KeyLookup* keys) {
    // The telegram the decoder would produce, built in the logical (CRC-free, plain) form; then
    // encrypted layer by layer from the inside out.
    Telegram t;
    t.link = s.link;
    t.ell = s.ell;
    t.afl = s.afl;
    t.tpl = s.tpl;
    auto& b = t.apl.bytes;
    b = {0, s.link.c};
    put(b, s.link.manufacturer, 2);
    put(b, s.link.id, 4);
    b.push_back(s.link.version);
    b.push_back(s.link.medium);
    std::size_t ell_crc_at = 0;
    if (const std::size_t n = detail::ell_size(s.ell.ci); n != 0) {
        b.insert(b.end(), {s.ell.ci, s.ell.cc, s.ell.acc});
        if (s.ell.has_address()) {
            put(b, s.ell.manufacturer, 2);
            put(b, s.ell.id, 4);
            b.push_back(s.ell.version);
            b.push_back(s.ell.medium);
        }
        if (s.ell.has_sn()) {
            put(b, s.ell.sn, 4);
            ell_crc_at = b.size();
            put(b, 0, 2);
        }
    } else if (s.ell.ci != 0) {
        fail(ErrorCode::unsupported_security_mode, 10, fmt::format("CI 0x{:02X} is no ELL", s.ell.ci));
    }
    std::size_t mac_at = 0;
    if (s.afl.present) {
        const std::size_t start = b.size();
        b.insert(b.end(), {0x90, 0});
        put(b, s.afl.fcl, 2);
        if (s.afl.fcl & detail::kFclMcl) b.push_back(s.afl.mcl);
        if (s.afl.fcl & detail::kFclKi) put(b, s.afl.ki, 2);
        if (s.afl.fcl & detail::kFclMcr) put(b, s.afl.mcr, 4);
        if (s.afl.fcl & detail::kFclMac) {
            const int ml = detail::mac_length(s.afl.mcl & 0x0F);
            if (ml <= 0) fail(ErrorCode::unsupported_security_mode, b.size(), "AFL MAC needs authentication type 5, 6 or 7");
            t.afl.mac_len = static_cast<std::uint8_t>(ml);
            mac_at = b.size();
            b.insert(b.end(), static_cast<std::size_t>(ml), 0);
        }
        if (s.afl.fcl & detail::kFclMl) put(b, s.afl.ml, 2);
        t.afl.afll = b[start + 1] = static_cast<std::uint8_t>(b.size() - start - 2);
    }
    t.tpl_off = static_cast<std::uint16_t>(b.size());
    const bool no_tpl = !s.has_tpl;  // link layer (and ELL/AFL) only
    const detail::TplCi ci = no_tpl ? detail::TplCi{"", 0, false} : detail::tpl_ci(s.tpl.ci);
    if (!no_tpl) b.push_back(s.tpl.ci);
    const mbus::Header& h = s.tpl.header;
    t.tpl.header.kind = ci.header == 12 ? mbus::Header::Kind::long_header
                        : ci.header == 4 ? mbus::Header::Kind::short_header
                                         : mbus::Header::Kind::none;
    if (ci.header == 12) {
        put(b, h.id, 4);
        put(b, h.manufacturer, 2);
        b.push_back(h.version);
        b.push_back(h.medium);
    }
    if (ci.header) {
        b.push_back(h.access_number);
        b.push_back(h.status);
        put(b, h.signature, 2);
    }
    const unsigned mode = ci.header ? s.tpl.security_mode() : 0;
    if (mode == 7) b.push_back(s.tpl.config_ext);
    const std::size_t apl_at = b.size();
    b.insert(b.end(), s.apl.begin(), s.apl.end());

    if (mode == 5 || mode == 7) {
        const std::size_t n = 16 * s.tpl.encrypted_blocks();
        if (s.apl.size() < n)
            fail(ErrorCode::encrypted_length, apl_at, fmt::format("{} encrypted blocks need {} bytes of data, {} given", n / 16, n, s.apl.size()));
        if (n > 0) {
            Key k = key_for(keys, t, fmt::format("security mode {}", mode));
            std::uint8_t iv[16] = {};
            Key kmac;
            if (mode == 5) {
                detail::mode5_iv(t, iv);
            } else {
                if (!(s.afl.present && (s.afl.fcl & detail::kFclMcr))) fail(ErrorCode::missing_afl, t.tpl_off, "mode 7 needs the AFL message counter");
                Key kenc;
                if (!detail::derive(k, t, kenc, kmac)) fail(ErrorCode::no_key, apl_at, "OpenSSL CMAC failed");
                k = kenc;
            }
            if (!crypto::aes_cbc(k, iv, std::span(b).subspan(apl_at, n), true)) fail(ErrorCode::no_key, apl_at, "OpenSSL AES-CBC failed");
            if (mode == 7 && mac_at) {
                std::uint8_t mac[16];
                if (!detail::afl_mac(kmac, t, mac)) fail(ErrorCode::no_key, apl_at, "OpenSSL CMAC failed");
                std::copy(mac, mac + t.afl.mac_len, b.begin() + static_cast<std::ptrdiff_t>(mac_at));
            }
        }
    } else if (mode != 0) {
        fail(ErrorCode::unsupported_security_mode, apl_at, fmt::format("security mode {} (supported: 0, 5, 7)", mode));
    }
    if (s.afl.fcl & detail::kFclMac && mode != 7) fail(ErrorCode::unsupported_security_mode, apl_at, "an AFL MAC needs security mode 7");
    if (ell_crc_at) {
        const std::uint16_t c = crc16(std::span(b).subspan(ell_crc_at + 2));
        b[ell_crc_at] = static_cast<std::uint8_t>(c);
        b[ell_crc_at + 1] = static_cast<std::uint8_t>(c >> 8);
        const unsigned enc = s.ell.encryption();
        if (enc > 1) fail(ErrorCode::unsupported_security_mode, ell_crc_at, "ELL encryption other than AES-128-CTR");
        if (enc == 1) {
            Key k = key_for(keys, t, "ELL AES-128-CTR");
            t.ell.cc = s.ell.cc;
            t.ell.sn = s.ell.sn;
            std::uint8_t iv[16];
            detail::ell_iv(t, iv);
            if (!crypto::aes_ctr(k, iv, std::span(b).subspan(ell_crc_at))) fail(ErrorCode::no_key, ell_crc_at, "OpenSSL AES-CTR failed");
        }
    }
    const CrcFormat f = s.crc == CrcFormat::automatic ? CrcFormat::a : s.crc;
    const std::size_t l = f == CrcFormat::b ? b.size() - 1 + (b.size() <= 126 ? 2 : 4) : b.size() - 1;
    if (l > 255) fail(ErrorCode::l_field_too_small, 0, fmt::format("the frame needs L = {}, more than 255", l));
    b[0] = static_cast<std::uint8_t>(l);
    return with_crcs(b, f);
}

std::vector<std::uint8_t> encode(const Telegram& t, const KeyLookup* keys) {
    FrameSpec s;
    s.crc = t.crc;
    s.link = t.link;
    s.ell = t.ell;
    s.afl = t.afl;
    s.tpl = t.tpl;
    const auto& b = t.bytes();
    if (t.tpl_off < b.size()) s.apl.assign(b.begin() + t.apl_off, b.end());
    else s.has_tpl = false;
    return encode(s, keys);
}

}  // namespace metercert::wmbus
