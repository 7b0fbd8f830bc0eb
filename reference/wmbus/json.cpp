#include "metercert/wmbus/json.hpp"

#include <iterator>

#include <fmt/format.h>

#include "layers.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/mbus/tables.hpp"

namespace metercert::wmbus {

namespace {

void hex(std::string& o, const std::uint8_t* p, std::size_t n) {
    static constexpr char d[] = "0123456789ABCDEF";
    o.push_back('"');
    for (std::size_t i = 0; i < n; ++i) {
        o.push_back(d[p[i] >> 4]);
        o.push_back(d[p[i] & 15]);
    }
    o.push_back('"');
}

// manufacturer letters, escaped like the M-Bus JSON ('@'…'_' for codes outside A..Z)
void identity(std::string& o, std::uint16_t m, std::uint32_t id, std::uint8_t version, std::uint8_t medium) {
    auto out = std::back_inserter(o);
    std::string letters = mbus::manufacturer_letters(m);
    std::string esc;
    for (char c : letters) {
        if (c == '"' || c == '\\') esc.push_back('\\');
        esc.push_back(c);
    }
    fmt::format_to(out, "\"manufacturer\":\"{}\",\"manufacturer_code\":\"{:04X}\",\"id\":\"{:08X}\",\"version\":{},\"medium\":\"{:02X}\",\"medium_name\":\"{}\"",
                   esc, m, id, version, medium, mbus::medium_name(medium));
}

void flags(std::string& o, std::initializer_list<std::pair<bool, std::string_view>> fl) {
    o += '[';
    bool comma = false;
    for (const auto& [on, name] : fl) {
        if (!on) continue;
        if (comma) o += ',';
        o += '"';
        o += name;
        o += '"';
        comma = true;
    }
    o += ']';
}

}  // namespace

void to_json(const Telegram& t, std::string& o) {
    auto out = std::back_inserter(o);
    const Link& l = t.link;
    fmt::format_to(out, "{{\"link\":{{\"crc\":\"{}\",\"l\":{},\"c\":\"{:02X}\",\"c_name\":\"{}\",", crc_format_name(t.crc), l.l, l.c,
                   c_field_name(l.c));
    identity(o, l.manufacturer, l.id, l.version, l.medium);
    o += '}';
    if (t.ell.ci) {
        const Ell& e = t.ell;
        fmt::format_to(out, ",\"ell\":{{\"ci\":\"{:02X}\",\"cc\":\"{:02X}\",\"cc_flags\":", e.ci, e.cc);
        flags(o, {{(e.cc & 0x80) != 0, "bidirectional"}, {(e.cc & 0x40) != 0, "response_delay"}, {(e.cc & 0x20) != 0, "synchronized"},
                  {(e.cc & 0x10) != 0, "hop"}, {(e.cc & 0x08) != 0, "priority"}, {(e.cc & 0x04) != 0, "accessibility"},
                  {(e.cc & 0x02) != 0, "repeated_access"}});
        fmt::format_to(out, ",\"acc\":{}", e.acc);
        if (e.has_address()) {
            o += ',';
            identity(o, e.manufacturer, e.id, e.version, e.medium);
        }
        if (e.has_sn())
            fmt::format_to(out, ",\"sn\":\"{:08X}\",\"session\":{},\"time\":{},\"encryption\":\"{}\",\"payload_crc\":\"{:04X}\"", e.sn,
                           e.sn & 0x1FFFFFF, (e.sn >> 25) & 0xF, e.encryption() == 1 ? "aes_128_ctr" : e.encryption() == 0 ? "none" : "reserved",
                           e.payload_crc);
        o += '}';
    }
    if (t.afl.present) {
        const Afl& a = t.afl;
        fmt::format_to(out, ",\"afl\":{{\"ci\":\"90\",\"afll\":{},\"fcl\":\"{:04X}\",\"fragment_id\":{},\"more_fragments\":{}", a.afll, a.fcl,
                       a.fcl & 0xFF, (a.fcl & detail::kFclMoreFragments) != 0);
        if (a.fcl & detail::kFclMcl) fmt::format_to(out, ",\"mcl\":\"{:02X}\",\"auth_type\":{}", a.mcl, a.mcl & 0xF);
        if (a.fcl & detail::kFclKi) fmt::format_to(out, ",\"key_info\":\"{:04X}\"", a.ki);
        if (a.fcl & detail::kFclMcr) fmt::format_to(out, ",\"message_counter\":{}", a.mcr);
        if (a.mac_len) {
            o += ",\"mac\":";
            hex(o, a.mac.data(), a.mac_len);
        }
        if (a.fcl & detail::kFclMl) fmt::format_to(out, ",\"message_length\":{}", a.ml);
        o += '}';
    }
    const auto& b = t.bytes();
    if (t.tpl_off < b.size()) {
        const Tpl& tp = t.tpl;
        const mbus::Header& h = tp.header;
        fmt::format_to(out, ",\"tpl\":{{\"ci\":\"{:02X}\",\"ci_name\":\"{}\"", tp.ci, tpl_ci_name(tp.ci));
        if (h.kind != mbus::Header::Kind::none) {
            o += ",\"header\":{";
            if (h.kind == mbus::Header::Kind::long_header) {
                identity(o, h.manufacturer, h.id, h.version, h.medium);
                o += ',';
            }
            fmt::format_to(out, "\"access_number\":{},\"status\":\"{:02X}\",\"status_flags\":[", h.access_number, h.status);
            std::string_view sf[8];
            const std::size_t nf = mbus::status_flags(h.status, sf);
            for (std::size_t i = 0; i < nf; ++i) fmt::format_to(out, "{}\"{}\"", i ? "," : "", sf[i]);
            const unsigned cf = tp.config(), mode = tp.security_mode();
            fmt::format_to(out, "]}},\"config\":\"{:04X}\",\"security_mode\":{},\"encrypted_blocks\":{}", cf, mode, tp.encrypted_blocks());
            if (mode == 7) {
                fmt::format_to(out, ",\"config_ext\":\"{:02X}\",\"kdf\":{},\"key_id\":{}", tp.config_ext, (tp.config_ext >> 4) & 3,
                               tp.config_ext & 0xF);
            } else {
                fmt::format_to(out, ",\"bidirectional\":{},\"accessibility\":{},\"synchronous\":{},\"content\":{},\"hop_count\":{}",
                               (cf & 0x8000) != 0, (cf & 0x4000) != 0, (cf & 0x2000) != 0, (cf >> 2) & 3, cf & 3);
            }
        }
        o += '}';
    }
    const Security& s = t.security;
    fmt::format_to(out, ",\"security\":{{\"mode\":{},\"encrypted_bytes\":{},\"verified\":", s.mode, s.enc_len);
    flags(o, {{s.crc_checked, "crc"}, {s.ell_crc_verified, "ell_payload_crc"}, {s.mac_verified, "mac"}, {s.decrypted, "decryption_check"}});
    o += ",\"decrypted\":";
    flags(o, {{s.ell_decrypted, "ell_aes_128_ctr"}, {s.decrypted && s.mode == 5, "tpl_aes_128_cbc_iv"}, {s.decrypted && s.mode == 7, "tpl_aes_128_cbc_kdf"}});
    o += '}';
    if (t.tpl_off < b.size()) {
        o += ',';
        if (t.apl.has_records) {
            mbus::records_to_json(t.apl, o);
        } else {
            o += "\"user_data\":";
            hex(o, b.data() + t.apl.user_data.off, t.apl.user_data.len);
        }
    }
    o += '}';
}

std::string to_json(const Telegram& t) {
    std::string s;
    s.reserve(512 + 256 * t.apl.records.size());
    to_json(t, s);
    return s;
}

}  // namespace metercert::wmbus
