// `metercert decode --wmbus`: wireless M-Bus telegrams as hex (arguments, or stdin one per line)
// → a summary or the canonical JSON (vectors/README.md "Wireless M-Bus"). Keys come from --key HEX
// (every meter) or --keys FILE (a CMe3100 key file, §6.15, matched per meter as the gateway
// does: ERRATA E-24); no key byte is ever printed. Exit 2 with the named error on any failure.
#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>

#include "decode_wmbus.hpp"
#include "hex.hpp"
#include "metercert/devices/cme3100/key_file.hpp"
#include "metercert/wmbus/json.hpp"
#include "metercert/wmbus/telegram.hpp"

namespace metercert::cli {

namespace {

using namespace metercert::wmbus;

void print_summary(const Telegram& t) {
    const Link& l = t.link;
    fmt::print("wM-Bus format {}  C=0x{:02X} {}  {} {:08X} v{} medium 0x{:02X} {}\n", crc_format_name(t.crc), l.c, c_field_name(l.c),
               mbus::manufacturer_letters(l.manufacturer), l.id, l.version, l.medium, mbus::medium_name(l.medium));
    if (t.ell.ci) fmt::print("  ELL CI=0x{:02X} CC=0x{:02X} ACC={}{}\n", t.ell.ci, t.ell.cc, t.ell.acc, t.ell.has_sn() ? fmt::format(" SN=0x{:08X}", t.ell.sn) : "");
    if (t.afl.present) fmt::print("  AFL FCL=0x{:04X} MCL=0x{:02X} counter {}\n", t.afl.fcl, t.afl.mcl, t.afl.mcr);
    if (t.tpl_off < t.bytes().size()) {
        const auto& h = t.tpl.header;
        fmt::print("  TPL CI=0x{:02X} {}", t.tpl.ci, tpl_ci_name(t.tpl.ci));
        if (h.kind == mbus::Header::Kind::long_header)
            fmt::print("  meter {} {:08X} v{} medium 0x{:02X}", mbus::manufacturer_letters(h.manufacturer), h.id, h.version, h.medium);
        if (h.kind != mbus::Header::Kind::none)
            fmt::print("  access number {}  status 0x{:02X}  config 0x{:04X} (mode {}, {} encrypted blocks)", h.access_number, h.status,
                       t.tpl.config(), t.tpl.security_mode(), t.tpl.encrypted_blocks());
        fmt::print("\n");
    }
    const Security& s = t.security;
    fmt::print("  security: mode {}{}{}{}{}\n", s.mode, s.crc_checked ? ", CRCs verified" : "", s.ell_crc_verified ? ", ELL payload CRC verified" : "",
               s.mac_verified ? ", MAC verified" : "", s.decrypted ? ", decrypted (2F2F check passed)" : "");
    if (!t.apl.has_records) return;
    for (const auto& r : t.apl.records) {
        if (!r.has_vib) continue;
        fmt::print("  {:<24} {:>20} {}\n", r.meaning.quantity,
                   r.kind == mbus::ValueKind::date ? r.date.iso() : r.kind == mbus::ValueKind::none ? "-" : r.value.to_string(),
                   r.meaning.unit_view());
    }
}

}  // namespace

int run_decode_wmbus(const std::vector<std::string>& args, const WmbusOptions& o) {
    CrcFormat crc = CrcFormat::automatic;
    if (o.crc == "A") crc = CrcFormat::a;
    else if (o.crc == "B") crc = CrcFormat::b;
    else if (o.crc == "none") crc = CrcFormat::none;
    else if (o.crc != "auto") {
        std::cerr << "error: --crc must be auto, A, B or none\n";
        return 2;
    }
    KeyLookup keys;
    if (!o.key.empty()) {
        const auto k = Key::from_hex(o.key);
        if (!k) {
            std::cerr << "error: --key must be 32 hex digits (the key is not shown)\n";
            return 2;
        }
        keys = single_key(*k);
    } else if (!o.key_file.empty()) {
        std::ifstream in(o.key_file);
        if (!in) {
            std::cerr << "error: cannot read key file " << o.key_file << "\n";
            return 2;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        auto imported = std::make_shared<devices::cme3100::KeyFileImport>();
        try {
            *imported = devices::cme3100::import_key_file(ss.str());
        } catch (const std::exception& e) {
            std::cerr << "error: key file " << o.key_file << ": " << e.what() << "\n";
            return 2;
        }
        for (const auto& e : imported->errors) std::cerr << "warning: key file row " << e.row << ": " << e.name << "\n";
        keys = [imported](const KeyQuery& q, Key& out) {
            const auto* e = devices::cme3100::match_key(imported->keys, {q.id, q.manufacturer, q.version, q.medium});
            if (!e) return false;
            out = Key(e->key);
            return true;
        };
    }
    std::vector<std::string> lines = args;
    if (lines.empty())
        for (std::string line; std::getline(std::cin, line);) lines.push_back(line);
    int rc = 0;
    std::size_t n = 0;
    std::vector<std::uint8_t> bytes;
    Telegram t;
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#') continue;
        ++n;
        const std::string where = args.empty() ? fmt::format("line {}: ", i + 1) : (lines.size() > 1 ? fmt::format("argument {}: ", i + 1) : "");
        std::string hex = line;
        KeyLookup line_key;
        if (o.line_keys) {  // "HEX KEY": the last word is the key, or - for none
            const auto end = line.find_last_not_of(" \t\r");
            const auto start = line.find_last_of(" \t", end);
            const std::string word = start == std::string::npos ? std::string() : line.substr(start + 1, end - start);
            if (word.empty()) {
                std::cerr << "error: " << where << "no key: --line-keys reads each line as HEX KEY (KEY: 32 hex digits, or -)\n";
                rc = 2;
                continue;
            }
            hex = line.substr(0, start);
            if (word != "-") {
                const auto k = Key::from_hex(word);
                if (!k) {
                    std::cerr << "error: " << where << "the key must be 32 hex digits, or - for none (the key is not shown)\n";
                    rc = 2;
                    continue;
                }
                line_key = single_key(*k);
            }
        }
        mbus::DecodeError herr;
        if (!parse_hex(hex, bytes, herr)) {
            std::cerr << "error: " << where << herr.message() << "\n";
            rc = 2;
            continue;
        }
        const KeyLookup* use = o.line_keys ? (line_key ? &line_key : nullptr) : (keys ? &keys : nullptr);
        DecodeError err;
        if (!decode(bytes, t, err, {.crc = crc, .keys = use})) {
            std::cerr << "error: " << where << err.message() << "\n";
            rc = 2;
            continue;
        }
        if (o.json) {
            out.clear();
            to_json(t, out);
            out.push_back('\n');
            std::cout << out;
        } else {
            print_summary(t);
        }
    }
    if (n == 0) {
        std::cerr << "error: empty_input at byte 0: no telegram given\n";
        return 2;
    }
    return rc;
}

}  // namespace metercert::cli
