#include "metercert/wmbus/telegram.hpp"

#include <fmt/format.h>

#include "crypto.hpp"
#include "layers.hpp"
#include "metercert/wmbus/crc.hpp"

namespace metercert::wmbus {

std::string_view crc_format_name(CrcFormat f) noexcept {
    switch (f) {
        case CrcFormat::automatic: return "auto";
        case CrcFormat::a: return "A";
        case CrcFormat::b: return "B";
        case CrcFormat::none: return "none";
    }
    return "?";
}

std::string_view c_field_name(std::uint8_t c) noexcept {
    switch (c) {
        case 0x40: return "SND_NKE";
        case 0x44: return "SND_NR";
        case 0x46: return "SND_IR";
        case 0x47: return "ACC_NR";
        case 0x48: return "ACC_DMD";
        case 0x53: case 0x73: return "SND_UD";
        case 0x43: case 0x63: return "SND_UD2";
        case 0x5A: case 0x7A: return "REQ_UD1";
        case 0x5B: case 0x7B: return "REQ_UD2";
        case 0x08: case 0x18: case 0x28: case 0x38: return "RSP_UD";
        case 0x00: case 0x10: case 0x20: case 0x30: return "ACK";
        case 0x06: return "CNF_IR";
        default: return "unknown";
    }
}

std::string_view tpl_ci_name(std::uint8_t ci) noexcept { return detail::tpl_ci(ci).name; }

std::size_t wire_offset(CrcFormat f, std::size_t i) noexcept {
    switch (f) {
        case CrcFormat::a: return i < 10 ? i : i + 2 + 2 * ((i - 10) / 16);
        case CrcFormat::b: return i < 126 ? i : i + 2;
        default: return i;
    }
}

namespace {

using detail::kFclKi;
using detail::kFclMac;
using detail::kFclMcl;
using detail::kFclMcr;
using detail::kFclMl;
using detail::kFclMoreFragments;

bool fail(DecodeError& err, ErrorCode code, std::size_t off, std::string_view what) noexcept {
    err.code = code;
    err.offset = off;
    try {
        err.detail.assign(what);
    } catch (...) {
    }
    return false;
}

template <typename... A>
bool failf(DecodeError& err, ErrorCode code, std::size_t off, fmt::format_string<A...> f, A&&... a) noexcept {
    try {
        return fail(err, code, off, fmt::format(f, std::forward<A>(a)...));
    } catch (...) {
        return fail(err, code, off, "");
    }
}

std::uint32_t le(const std::uint8_t* p, std::size_t n) noexcept {
    std::uint32_t v = 0;
    for (std::size_t i = n; i-- > 0;) v = (v << 8) | p[i];
    return v;
}

std::size_t a_length(std::size_t l) noexcept { return l + 1 + 2 * (1 + (l - 9 + 15) / 16); }
std::size_t b_length(std::size_t l) noexcept { return l + 1; }

// Checks one CRC block: data wire[from, to), CRC (high byte first) at `to`.
bool check_block(std::span<const std::uint8_t> w, std::size_t from, std::size_t to, unsigned block, DecodeError& err) noexcept {
    const std::uint16_t c = crc16(w.subspan(from, to - from));
    const std::uint16_t s = static_cast<std::uint16_t>(w[to] << 8 | w[to + 1]);
    if (c == s) return true;
    return failf(err, ErrorCode::crc_mismatch, to, "block {}: computed 0x{:04X}, frame says 0x{:04X}", block, c, s);
}

bool b_crcs_ok(std::span<const std::uint8_t> w) noexcept {
    DecodeError e;
    const std::size_t n = w.size();
    if (n < 12) return false;
    if (n <= 128) return check_block(w, 0, n - 2, 1, e);
    return check_block(w, 0, 126, 1, e) && n >= 131 && check_block(w, 128, n - 2, 2, e);
}

// Length rules of the format, CRC checks, and the logical frame into `out`.
bool read_link(std::span<const std::uint8_t> w, CrcFormat want, Telegram& t, DecodeError& err) noexcept {
    const std::size_t n = w.size();
    if (n == 0) return fail(err, ErrorCode::empty_input, 0, "no byte at all");
    const std::size_t l = w[0];
    if (l < 9) return failf(err, ErrorCode::l_field_too_small, 0, "L = {}: C, M and A need 9 bytes", l);
    CrcFormat f = want;
    if (f == CrcFormat::automatic) {
        // A when the length is A's; else B when its CRCs hold; else none (ERRATA E-47)
        if (n == a_length(l)) f = CrcFormat::a;
        else if (n == b_length(l) && l >= 11 && b_crcs_ok(w)) f = CrcFormat::b;
        else if (n == l + 1) f = CrcFormat::none;
        else if (n > l + 1 && n < a_length(l)) f = CrcFormat::a;  // neither: report as A, the usual radio format
        else f = n < l + 1 ? CrcFormat::none : CrcFormat::a;
    }
    if (f == CrcFormat::b && l < 11) return failf(err, ErrorCode::l_field_too_small, 0, "L = {}: format B needs C, M, A and a CRC", l);
    const std::size_t expect = f == CrcFormat::a ? a_length(l) : l + 1;
    if (n < expect)
        return failf(err, ErrorCode::truncated_frame, n, "L = {} (format {}) needs {} bytes, got {}", l, crc_format_name(f), expect, n);
    if (n > expect)
        return failf(err, ErrorCode::trailing_bytes, expect, "L = {} (format {}) ends the frame after {} bytes, got {}", l,
                     crc_format_name(f), expect, n);
    auto& b = t.apl.bytes;
    try {
        b.clear();
        b.reserve(n);
        if (f == CrcFormat::a) {
            if (!check_block(w, 0, 10, 1, err)) return false;
            b.assign(w.begin(), w.begin() + 10);
            unsigned block = 2;
            for (std::size_t p = 12; p < n; p += 18, ++block) {
                const std::size_t len = std::min<std::size_t>(16, n - p - 2);
                if (!check_block(w, p, p + len, block, err)) return false;
                b.insert(b.end(), w.begin() + static_cast<std::ptrdiff_t>(p), w.begin() + static_cast<std::ptrdiff_t>(p + len));
            }
        } else if (f == CrcFormat::b) {
            if (n <= 128) {
                if (!check_block(w, 0, n - 2, 1, err)) return false;
                b.assign(w.begin(), w.end() - 2);
            } else {
                if (!check_block(w, 0, 126, 1, err)) return false;
                if (n < 131) return failf(err, ErrorCode::truncated_frame, n, "format B: the second block needs data and a CRC");
                if (!check_block(w, 128, n - 2, 2, err)) return false;
                b.assign(w.begin(), w.begin() + 126);
                b.insert(b.end(), w.begin() + 128, w.end() - 2);
            }
        } else {
            b.assign(w.begin(), w.end());
        }
    } catch (...) {
        return fail(err, ErrorCode::truncated_frame, 0, "out of memory");
    }
    t.crc = f;
    t.security.crc_checked = f != CrcFormat::none;
    t.link = {w[0], b[1], static_cast<std::uint16_t>(le(&b[2], 2)), le(&b[4], 4), b[8], b[9]};
    return true;
}

bool get_key(const DecodeOptions& opt, const Telegram& t, Key& k, std::size_t at, std::string_view what, DecodeError& err) noexcept {
    try {
        if (opt.keys && *opt.keys && (*opt.keys)(detail::key_query(t), k)) return true;
    } catch (...) {
    }
    return failf(err, ErrorCode::no_key, at, "{} and no key for this meter", what);
}

bool decode_impl(std::span<const std::uint8_t> w, Telegram& t, DecodeError& err, const DecodeOptions& opt) noexcept {
    t.ell = {};
    t.afl = {};
    t.tpl = {};
    t.security = {};
    t.tpl_off = 0;
    t.apl.records.clear();
    t.apl.violations.clear();
    t.apl.header = {};
    t.apl.special = 0;
    t.apl.has_records = false;
    t.apl.user_data = {};
    t.apl.manufacturer_data = {};
    if (!read_link(w, opt.crc, t, err)) return false;
    auto& b = t.apl.bytes;
    const std::size_t end = b.size();
    const CrcFormat f = t.crc;
    auto at = [f](std::size_t i) { return wire_offset(f, i); };
    std::size_t pos = 10;
    t.tpl_off = t.apl_off = static_cast<std::uint16_t>(pos);
    if (pos == end) return true;  // link layer only

    // ---- extended link layer (EN 13757-4 §13.2)
    if (const std::size_t n = detail::ell_size(b[pos]); n != 0) {
        if (end - pos < n)
            return failf(err, ErrorCode::truncated_header, at(end), "ELL CI 0x{:02X} needs {} bytes, {} left", b[pos], n, end - pos);
        Ell& e = t.ell;
        e.ci = b[pos];
        e.cc = b[pos + 1];
        e.acc = b[pos + 2];
        std::size_t q = pos + 3;
        if (e.has_address()) {
            e.manufacturer = static_cast<std::uint16_t>(le(&b[q], 2));
            e.id = le(&b[q + 2], 4);
            e.version = b[q + 6];
            e.medium = b[q + 7];
            q += 8;
        }
        if (e.has_sn()) {
            e.sn = le(&b[q], 4);
            q += 4;
            const unsigned enc = e.encryption();
            if (enc > 1)
                return failf(err, ErrorCode::unsupported_security_mode, at(q - 1), "ELL encryption {} (only 0 none, 1 AES-128-CTR)", enc);
            if (enc == 1) {
                Key k;
                if (!get_key(opt, t, k, at(q), "ELL AES-128-CTR", err)) return false;
                std::uint8_t iv[16];
                detail::ell_iv(t, iv);
                if (!crypto::aes_ctr(k, iv, std::span(b).subspan(q))) return fail(err, ErrorCode::no_key, at(q), "OpenSSL AES-CTR failed");
                t.security.ell_decrypted = true;
                t.security.ell_enc_off = static_cast<std::uint16_t>(q);
            }
            e.payload_crc = static_cast<std::uint16_t>(le(&b[q], 2));
            const std::uint16_t c = crc16(std::span(b).subspan(q + 2));
            if (c != e.payload_crc)
                return failf(err, ErrorCode::ell_payload_crc, at(q), "computed 0x{:04X}, {} says 0x{:04X}{}", c,
                             enc ? "the decrypted payload" : "the payload", e.payload_crc, enc ? " (wrong key?)" : "");
            t.security.ell_crc_verified = true;
            q += 2;
        }
        pos = q;
    }

    // ---- authentication and fragmentation layer (EN 13757-7 §6, OMS Vol. 2 §6.3)
    if (pos < end && b[pos] == 0x90) {
        Afl& a = t.afl;
        if (end - pos < 4) return failf(err, ErrorCode::truncated_header, at(end), "AFL needs CI, AFLL and FCL");
        a.present = true;
        a.afll = b[pos + 1];
        const std::size_t afl_end = pos + 2 + a.afll;
        if (afl_end > end) return failf(err, ErrorCode::truncated_header, at(end), "AFLL = {} runs past the frame", a.afll);
        a.fcl = static_cast<std::uint16_t>(le(&b[pos + 2], 2));
        if (a.fcl & kFclMoreFragments)
            return fail(err, ErrorCode::unsupported_fragmentation, at(pos + 2), "AFL: more fragments follow (reassembly is not supported)");
        std::size_t q = pos + 4;
        auto need = [&](std::size_t k, std::string_view what) {
            if (q + k <= afl_end) return true;
            return failf(err, ErrorCode::truncated_header, at(std::min(q, end)), "AFL {} runs past AFLL = {}", what, a.afll);
        };
        if (a.fcl & kFclMcl) {
            if (!need(1, "MCL")) return false;
            a.mcl = b[q++];
        }
        if (a.fcl & kFclKi) {
            if (!need(2, "KI")) return false;
            a.ki = static_cast<std::uint16_t>(le(&b[q], 2));
            q += 2;
        }
        if (a.fcl & kFclMcr) {
            if (!need(4, "MCR")) return false;
            a.mcr = le(&b[q], 4);
            q += 4;
        }
        if (a.fcl & kFclMac) {
            const int ml = detail::mac_length(a.mcl & 0x0F);
            if (ml <= 0)
                return failf(err, ErrorCode::unsupported_security_mode, at(q), "AFL authentication type {} (only AES-CMAC 5, 6, 7)",
                             a.mcl & 0x0F);
            if (!need(static_cast<std::size_t>(ml), "MAC")) return false;
            a.mac_len = static_cast<std::uint8_t>(ml);
            std::copy(b.begin() + static_cast<std::ptrdiff_t>(q), b.begin() + static_cast<std::ptrdiff_t>(q) + ml, a.mac.begin());
            q += static_cast<std::size_t>(ml);
        }
        if (a.fcl & kFclMl) {
            if (!need(2, "ML")) return false;
            a.ml = static_cast<std::uint16_t>(le(&b[q], 2));
            q += 2;
        }
        if (q != afl_end)
            return failf(err, ErrorCode::truncated_header, at(q), "AFLL = {} but the FCL announces {} bytes", a.afll, q - pos - 2);
        pos = afl_end;
    }

    // ---- transport layer
    t.tpl_off = t.apl_off = static_cast<std::uint16_t>(pos);
    if (pos == end) return true;
    Tpl& tp = t.tpl;
    tp.ci = b[pos];
    const detail::TplCi ci = detail::tpl_ci(tp.ci);
    t.apl.kind = mbus::FrameKind::long_frame;
    t.apl.ci = tp.ci;
    ++pos;
    mbus::Header& h = tp.header;
    if (end - pos < ci.header)
        return failf(err, ErrorCode::truncated_header, at(end), "CI 0x{:02X} needs a {}-byte header, {} left", tp.ci, ci.header, end - pos);
    if (ci.header == 12) {
        h.kind = mbus::Header::Kind::long_header;
        h.id = le(&b[pos], 4);
        h.manufacturer = static_cast<std::uint16_t>(le(&b[pos + 4], 2));
        h.version = b[pos + 6];
        h.medium = b[pos + 7];
        pos += 8;
    } else if (ci.header == 4) {
        h.kind = mbus::Header::Kind::short_header;
    }
    std::size_t cf_at = pos + 2;
    if (ci.header) {
        h.access_number = b[pos];
        h.status = b[pos + 1];
        h.signature = static_cast<std::uint16_t>(le(&b[pos + 2], 2));
        pos += 4;
    }
    t.apl.header = h;
    const unsigned mode = tp.security_mode();
    t.security.mode = mode;
    if (t.afl.mac_len && mode != 7)
        return failf(err, ErrorCode::unsupported_security_mode, at(cf_at + 1), "an AFL MAC with security mode {} (only mode 7)", mode);
    if (mode == 5 || mode == 7) {
        if (mode == 7) {
            if (pos >= end) return fail(err, ErrorCode::truncated_header, at(end), "mode 7 needs the configuration field extension");
            tp.has_config_ext = true;
            tp.config_ext = b[pos++];
            const unsigned kdf = (tp.config_ext >> 4) & 3;
            if (kdf != 1)
                return failf(err, ErrorCode::unsupported_security_mode, at(pos - 1), "mode 7 key derivation {} (only 1, OMS KDF-A)", kdf);
            if (!(t.afl.fcl & kFclMcr)) return fail(err, ErrorCode::missing_afl, at(t.tpl_off), "mode 7 needs the AFL message counter");
        }
        const std::size_t n = 16 * tp.encrypted_blocks();
        if (end - pos < n)
            return failf(err, ErrorCode::encrypted_length, at(cf_at), "{} encrypted blocks announced, {} bytes left", tp.encrypted_blocks(),
                         end - pos);
        t.security.enc_off = static_cast<std::uint16_t>(pos);
        t.security.enc_len = static_cast<std::uint16_t>(n);
        if (n > 0) {
            Key k;
            if (!get_key(opt, t, k, at(pos), fmt::format("security mode {}", mode), err)) return false;
            std::uint8_t iv[16] = {};
            if (mode == 5) {
                detail::mode5_iv(t, iv);
            } else {
                Key kenc, kmac;
                if (!detail::derive(k, t, kenc, kmac)) return fail(err, ErrorCode::no_key, at(pos), "OpenSSL CMAC failed");
                if (t.afl.mac_len) {
                    std::uint8_t mac[16];
                    if (!detail::afl_mac(kmac, t, mac)) return fail(err, ErrorCode::no_key, at(pos), "OpenSSL CMAC failed");
                    if (!crypto::equal(mac, t.afl.mac.data(), t.afl.mac_len)) {
                        const std::size_t mac_at = t.tpl_off - t.afl.mac_len - ((t.afl.fcl & kFclMl) ? 2 : 0);
                        return fail(err, ErrorCode::mac_mismatch, at(mac_at), "the AFL MAC differs from AES-CMAC with the derived key");
                    }
                    t.security.mac_verified = true;
                }
                k = kenc;
            }
            if (!crypto::aes_cbc(k, iv, std::span(b).subspan(pos, n), false))
                return fail(err, ErrorCode::no_key, at(pos), "OpenSSL AES-CBC failed");
            if (b[pos] != 0x2F || b[pos + 1] != 0x2F)
                return fail(err, ErrorCode::decryption_check_failed, at(pos), "decrypted data do not start with 2F 2F (wrong key?)");
            t.security.decrypted = true;
        }
    } else if (mode != 0) {
        return failf(err, ErrorCode::unsupported_security_mode, at(cf_at + 1), "security mode {} (supported: 0, 5, 7)", mode);
    }
    t.apl_off = static_cast<std::uint16_t>(pos);
    if (!ci.records) {
        t.apl.user_data = {static_cast<std::uint16_t>(pos), static_cast<std::uint16_t>(end - pos)};
        return true;
    }
    mbus::DecodeError me;
    if (!mbus::decode_records(t.apl, pos, end, me)) {
        err.code = ErrorCode::record;
        err.mbus_code = me.code;
        err.offset = at(me.offset);
        try {
            err.detail = me.detail;
        } catch (...) {
        }
        return false;
    }
    return true;
}

}  // namespace

bool decode(std::span<const std::uint8_t> frame, Telegram& out, DecodeError& err, const DecodeOptions& opt) noexcept {
    return decode_impl(frame, out, err, opt);
}

Telegram decode_or_throw(std::span<const std::uint8_t> frame, const DecodeOptions& opt) {
    Telegram t;
    DecodeError err;
    if (!decode(frame, t, err, opt)) throw DecodeFailure(std::move(err));
    return t;
}

}  // namespace metercert::wmbus
