// `metercert decode`: frames as hex from arguments or stdin (one per line) → table or canonical JSON.
// Recoverable deviations are decoded and listed (violations); --strict rejects them instead.
// Secrets in frames (devices/secrets.hpp: CMi1020 P1 password, P2 key) are never printed: the
// secret bytes and the checksum are masked in the table, the JSON and the --pcap output, and an
// error on such a frame names the error and its offset but withholds the detail.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "decode_wmbus.hpp"
#include "hex.hpp"
#include "metercert/devices/secrets.hpp"
#include "metercert/mbus/frame_reader.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/rigs/pcap.hpp"
#include "metercert/mbus/telegram.hpp"

namespace metercert::cli {

namespace {

using namespace metercert::mbus;

std::string hexs(std::span<const std::uint8_t> b) {
    std::string s;
    for (auto x : b) s += fmt::format("{:02X}", x);
    return s;
}

// Access codes and passwords (VIF FD 12–16) are shown redacted in the table: the table is what
// ends up in terminal logs. The canonical JSON (--json) keeps every byte: it is the data.
bool secret(const Record& r) {
    const std::string_view q = r.meaning.quantity;
    return q == "password" || q.rfind("access_code", 0) == 0;
}

std::string value_text(const Telegram& t, const Record& r) {
    if (secret(r) && r.kind != ValueKind::none) return fmt::format("<redacted, {} bytes>", r.data.len);
    switch (r.kind) {
        case ValueKind::none: return "-";
        case ValueKind::integer:
        case ValueKind::bcd:
        case ValueKind::real: return r.value.to_string();
        case ValueKind::error_state: return "error(" + hexs(t.span(r.data)) + ")";
        case ValueKind::date: return r.date.iso() + (r.date.invalid ? " (invalid)" : "") + (r.date.summer_time ? " (summer)" : "");
        case ValueKind::text: {
            const std::string_view s = t.text(r.data);
            return "\"" + std::string(s.rbegin(), s.rend()) + "\"";
        }
        case ValueKind::binary: return hexs(t.span(r.data));
    }
    return "?";
}

void print_violations(const Telegram& t) {
    for (const Violation& v : t.violations)
        fmt::print("  violation: {} at byte {}: {}\n", error_name(v.code), v.offset, v.detail);
}

void print_table(const Telegram& t) {
    fmt::print("{} frame", frame_kind_name(t.kind));
    if (t.kind == FrameKind::ack) {
        fmt::print(" (0xE5)\n");
        return;
    }
    fmt::print("  C=0x{:02X} {}  A={} ({})", t.c.raw, t.c.name(), t.a, address_kind_name(address_kind(t.a)));
    if (t.kind != FrameKind::short_frame) fmt::print("  CI=0x{:02X} {}", t.ci, ci_info(t.ci).name);
    fmt::print("\n");
    const Header& h = t.header;
    if (h.kind == Header::Kind::fixed) {
        std::string_view flags[8];
        const std::size_t nf = fixed_status_flags(h.status, flags);
        fmt::print("  id {:08X}  access number {}  status 0x{:02X}{}{}  medium 0x{:X} {}\n", h.id, h.access_number, h.status,
                   nf ? " " : "", fmt::join(flags, flags + nf, ","), h.medium, fixed_medium_name(h.medium));
        fmt::print("  {:>3}  {:<9} {:<5} {:>3}  {:<24} {:>20} {}\n", "#", "unit code", "type", "st", "quantity", "value", "unit");
        for (const Record& r : t.records)
            fmt::print("  {:>3}  0x{:02X}      {:<5} {:>3}  {:<24} {:>20} {}\n", r.counter, r.unit_code,
                       r.kind == ValueKind::integer ? "int32" : "bcd8", r.storage, r.meaning.quantity, value_text(t, r),
                       r.meaning.unit_view());
        return print_violations(t);
    }
    if (h.kind == Header::Kind::long_header)
        fmt::print("  id {:08X}  manufacturer {}  version {}  medium 0x{:02X} {}\n", h.id, manufacturer_letters(h.manufacturer),
                   h.version, h.medium, medium_name(h.medium));
    if (h.kind != Header::Kind::none) {
        std::string_view flags[8];
        const std::size_t nf = status_flags(h.status, flags);
        fmt::print("  access number {}  status 0x{:02X}{}{}  signature 0x{:04X}\n", h.access_number, h.status,
                   nf ? " " : "", fmt::join(flags, flags + nf, ","), h.signature);
    }
    if (!t.has_records) {
        if (t.kind == FrameKind::long_frame) fmt::print("  user data {}\n", hexs(t.span(t.user_data)));
        if (t.ci == 0x70 && t.user_data.len > 0)
            fmt::print("  application error 0x{:02X} {}\n", t.bytes[t.user_data.off], application_error_name(t.bytes[t.user_data.off]));
        return print_violations(t);
    }
    print_records(t);
    print_violations(t);
}

}  // namespace

void print_records(const Telegram& t) {
    if (!t.records.empty())
        fmt::print("  {:>3}  {:<10} {:<14} {:<13} {:>3} {:>3} {:>3}  {:<24} {:>20} {}\n", "#", "DIF/DIFE", "VIF/VIFE", "function",
                   "st", "tf", "su", "quantity", "value", "unit");
    for (std::size_t i = 0; i < t.records.size(); ++i) {
        const Record& r = t.records[i];
        const std::string dib = fmt::format("{:02X}", r.dif) + hexs({r.dife.data(), r.n_dife});
        if (!r.has_vib) {
            fmt::print("  {:>3}  {:<10} {}\n", i, dib, r.dif == 0x2F ? "idle filler" : "global readout request");
            continue;
        }
        std::string unit(r.meaning.unit_view());
        if (r.text_layout != TextLayout::none) {
            const std::string_view u = t.text(r.unit_text);
            unit.assign(u.rbegin(), u.rend());
        }
        fmt::print("  {:>3}  {:<10} {:<14} {:<13} {:>3} {:>3} {:>3}  {:<24} {:>20} {}\n", i, dib, hexs(t.span(r.vib)),
                   function_name(r.function), r.storage, r.tariff, r.subunit, r.meaning.quantity, value_text(t, r), unit);
    }
    if (t.special)
        fmt::print("  DIF 0x{:02X}: {}manufacturer data {}\n", t.special, t.more_records_follow() ? "more records follow; " : "",
                   hexs(t.span(t.manufacturer_data)));
}

namespace {

// ---------------------------------------------------------------- secrets (devices/secrets.hpp)

// True when a tap has already redacted the frame's secret (rigs RedactingTap): the secret bytes
// and the checksum are all kRedactedByte and the stop character is in place.
bool tap_redacted(std::span<const std::uint8_t> b, const devices::SecretSpan& s) {
    if (s.end >= b.size() || b[s.end] != kStop) return false;
    return std::all_of(b.begin() + static_cast<std::ptrdiff_t>(s.first), b.begin() + static_cast<std::ptrdiff_t>(s.end),
                       [](std::uint8_t x) { return x == devices::kRedactedByte; });
}

// Decodes a frame for display. A frame that carries a secret is decoded as sent (or, when a tap
// already masked it, with its checksum recomputed over the mask) and then shown masked: its
// secret bytes become kRedactedByte in `t` and `redacted` names what was withheld. On an error
// the name and offset are kept, the detail (which could hold the checksum) is withheld.
bool decode_for_display(std::span<const std::uint8_t> bytes, Telegram& t, DecodeError& err, const DecodeOptions& opt,
                        std::string_view& redacted) {
    redacted = {};
    const auto s = devices::find_secret(bytes);
    if (!s) return decode(bytes, t, err, opt);
    redacted = s->what;
    std::vector<std::uint8_t> b(bytes.begin(), bytes.end());
    if (tap_redacted(b, *s)) b[s->end - 1] = checksum(std::span(b).subspan(4, s->end - 5));
    if (!decode(b, t, err, opt)) {
        err.detail = fmt::format("detail withheld: the frame carries a {}", s->what);
        return false;
    }
    for (std::size_t i = s->first; i < std::min(s->end, t.bytes.size()); ++i) t.bytes[i] = devices::kRedactedByte;
    return true;
}

void print_frame(const Telegram& t, bool json, std::string_view redacted, std::string& out, std::string_view prefix = {},
                 std::string_view suffix = {}) {
    if (!json) {
        print_table(t);
        if (!redacted.empty()) fmt::print("  redacted: {} (its bytes and the checksum are not shown)\n", redacted);
        return;
    }
    out.assign(prefix);
    to_json(t, out);
    if (!redacted.empty()) {  // the canonical object gains "redacted": what was withheld
        out.pop_back();
        out += fmt::format(",\"redacted\":\"{}\"}}", redacted);
    }
    out += suffix;
    out.push_back('\n');
    std::cout << out;
}

// Arguments are frames, one each ("68 0A …" quoted). When every argument is a single byte
// (1–2 hex digits), as when a frame is typed unquoted, they form one frame together.
std::vector<std::string> frames_of(const std::vector<std::string>& args) {
    const bool bytes = !args.empty() && std::all_of(args.begin(), args.end(), [](const std::string& a) { return a.size() <= 2; });
    if (!bytes) return args;
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    return {joined};
}

int run_decode(const std::vector<std::string>& args_in, bool json, bool strict) {
    const std::vector<std::string> args = frames_of(args_in);
    std::vector<std::string> lines = args;
    if (lines.empty())
        for (std::string line; std::getline(std::cin, line);) lines.push_back(line);
    int rc = 0;
    std::vector<std::uint8_t> bytes;
    Telegram t;
    std::string out;
    std::size_t n = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (line.find_first_not_of(" \t\r") == std::string::npos || line[line.find_first_not_of(" \t")] == '#') continue;
        ++n;
        DecodeError err;
        std::string_view redacted;
        const std::string where = args.empty() ? fmt::format("line {}: ", i + 1) : (lines.size() > 1 ? fmt::format("argument {}: ", i + 1) : "");
        if (!parse_hex(line, bytes, err) || !decode_for_display(bytes, t, err, DecodeOptions{.strict = strict}, redacted)) {
            std::cerr << "error: " << where << err.message() << "\n";
            rc = 2;
            continue;
        }
        print_frame(t, json, redacted, out);
    }
    if (n == 0) {
        std::cerr << "error: empty_input at byte 0: no frame given\n";
        return 2;
    }
    return rc;
}

// Frames of a capture: our link type (147) or TCP to/from `port` in an ordinary capture. Each
// direction's bytes go through a FrameReader; every frame is printed with its time and direction,
// every garbled run is an error.
int run_decode_pcap(const std::string& path, std::uint16_t port, bool json, bool strict) {
    std::vector<rigs::TapRecord> recs;
    try {
        recs = rigs::read_pcap(path, port);
    } catch (const rigs::PcapError& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
    for (const auto& r : recs)
        if (r.link != rigs::LinkKind::mbus) {  // one link kind per file: the first record says it
            std::cerr << "error: " << path << ": a capture of " << rigs::link_kind_name(r.link)
                      << " (wireless M-Bus telegrams: `decode --wmbus` takes them as hex; --pcap reads wired M-Bus)\n";
            return 2;
        }
    int rc = 0;
    mbus::FrameReader readers[2];
    Telegram t;
    std::string out;
    std::size_t frames = 0;
    for (const auto& r : recs) {
        const int d = static_cast<int>(r.direction);
        auto events = readers[d].feed(r.bytes);
        if (r.baud != 0 || (r.flags & rigs::kTapGarbled)) {  // one UART burst = one reply window: flush it
            auto tail = readers[d].finish();
            events.insert(events.end(), tail.begin(), tail.end());
        }
        const std::chrono::sys_time<std::chrono::microseconds> tp{std::chrono::microseconds(r.wall_us)};
        const auto day = std::chrono::floor<std::chrono::days>(tp);
        const std::chrono::year_month_day ymd{day};
        const std::chrono::hh_mm_ss hms{tp - day};
        const std::string when = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z", static_cast<int>(ymd.year()),
                                             static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                             hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                                             hms.subseconds().count());
        const char* dir = r.direction == rigs::Direction::to_dut ? "to DUT" : "from DUT";
        auto show = [&](std::span<const std::uint8_t> frame) {
            ++frames;
            DecodeError err;
            std::string_view redacted;
            if (!decode_for_display(frame, t, err, DecodeOptions{.strict = strict}, redacted)) {
                std::cerr << fmt::format("error: {} {}: {}\n", when, dir, err.message());
                rc = 2;
                return;
            }
            if (!json) std::cout << when << "  " << dir << "  ";
            print_frame(t, json, redacted, out,
                        fmt::format("{{\"time\":\"{}\",\"direction\":\"{}\",\"decoded\":", when, rigs::direction_name(r.direction)),
                        "}");
        };
        for (const auto& ev : events) {
            if (ev.kind == mbus::StreamEvent::Kind::frame) {
                show(ev.bytes);
                continue;
            }
            const auto secret = devices::find_secret(ev.bytes);
            if (ev.kind == mbus::StreamEvent::Kind::garbled && secret && tap_redacted(ev.bytes, *secret)) {
                // a secret frame a tap masked (its checksum too): show it as the redacted frame it is
                const std::size_t n = secret->end + 1;
                show(std::span(ev.bytes).first(n));
                if (ev.bytes.size() > n) {
                    std::cerr << fmt::format("error: {} {} garbled: {} bytes after a redacted frame form no frame\n", when, dir,
                                             ev.bytes.size() - n);
                    rc = 2;
                }
                continue;
            }
            std::string why = ev.kind == mbus::StreamEvent::Kind::garbled ? ev.error.message() : "no start character";
            if (secret)  // the detail (a computed checksum) could tell the secret's sum
                why = fmt::format("{} at byte {}: detail withheld: the bytes carry a {}", error_name(ev.error.code), ev.error.offset,
                                  secret->what);
            std::cerr << fmt::format("error: {} {} {}: {} bytes: {}\n", when, dir,
                                     ev.kind == mbus::StreamEvent::Kind::garbled ? "garbled" : "garbage", ev.bytes.size(), why);
            rc = 2;
        }
    }
    for (auto& rd : readers)
        for (const auto& ev : rd.finish())
            if (!ev.bytes.empty()) {
                std::cerr << fmt::format("error: {} bytes at the end of the capture form no frame\n", ev.bytes.size());
                rc = 2;
            }
    if (frames == 0 && rc == 0) {
        std::cerr << fmt::format("error: empty_input at byte 0: no M-Bus frame in {}\n", path);
        return 2;
    }
    return rc;
}

}  // namespace

void print_telegram_table(const mbus::Telegram& t) {
    const auto s = devices::find_secret(t.bytes);
    if (!s) return print_table(t);
    mbus::Telegram masked = t;  // the same rule as `decode`: never print a secret
    for (std::size_t i = s->first; i < std::min(s->end, masked.bytes.size()); ++i) masked.bytes[i] = devices::kRedactedByte;
    print_table(masked);
    fmt::print("  redacted: {} (its bytes and the checksum are not shown)\n", s->what);
}

void add_decode(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand(
        "decode",
        "Decode M-Bus frames given as hex (arguments, or stdin one per line; spaces allowed): EN 13757-2\n"
        "frames, EN 13757-3 variable data (CI 72/76/7A/78/…), the fixed data structure (CI 73/77),\n"
        "application errors (CI 70). Exit 0 when all decode, 2 on any invalid input with\n"
        "'error: <name> at byte <offset>: <detail>' on stderr.\n"
        "Recoverable deviations (a non-BCD identification number, a manufacturer letter outside A..Z,\n"
        "a reserved fixed-structure code) are decoded and listed as violations; --strict rejects them.\n"
        "Secrets (CMi1020 P1 password, P2 key) and the checksum are never printed, only 'redacted'.");
    auto json = std::make_shared<bool>(false);
    auto strict = std::make_shared<bool>(false);
    auto hex = std::make_shared<std::vector<std::string>>();
    cmd->add_flag("--json", *json, "canonical JSON, one object per line (schema: vectors/README.md)");
    cmd->add_flag("--strict", *strict, "reject a frame with any violation: exit 2, 'error: <name> at byte <offset>'");
    cmd->add_option("HEX", *hex, "frames as hex, one per argument (quote a frame with spaces; unquoted\n"
                                 "single-byte arguments form one frame); stdin when none");
    auto pcap = std::make_shared<std::string>();
    auto port = std::make_shared<std::uint16_t>(10001);
    cmd->add_option("--pcap", *pcap, "decode the frames of a capture: metercert's (link type 147) or a tcpdump\n"
                                     "capture of TCP to a gateway (--port)");
    cmd->add_option("--port", *port, "TCP port of the M-Bus stream in an ordinary capture")->capture_default_str();
    auto cmi6110 = std::make_shared<std::string>();
    auto* cmi6110_opt = cmd->add_option("--cmi6110", *cmi6110,
                    "decode CMi6110 uplink payloads instead of frames, one per argument or line: senml\n"
                    "(SenML/CBOR/M-Bus, manual §7.4.2.3, hex), json (§7.4.2.2, the JSON text), mbus (the\n"
                    "DIB list of §7.4.2.1 Table 6, hex); lines: each is 'ENCODING PAYLOAD' (the JSON on one\n"
                    "line: the input of `metercert vectors --cmi6110`); one line per readout (--json: its\n"
                    "time, the meter ID, the message format and the records as wired M-Bus records)")
        ->check(CLI::IsMember({"senml", "json", "mbus", "lines"}));
    auto wm = std::make_shared<WmbusOptions>();
    auto use_wmbus = std::make_shared<bool>(false);
    auto* wmbus = cmd->add_flag("--wmbus", *use_wmbus, "wireless M-Bus telegrams (EN 13757-4 / OMS): link, ELL, AFL, TPL,\n"
                                           "security modes 5 and 7 (vectors/README.md 'Wireless M-Bus')");
    wmbus->excludes(cmi6110_opt);
    cmd->add_option("--key", wm->key, "--wmbus: AES-128 key for every meter, 32 hex digits (never printed)")->needs(wmbus);
    cmd->add_option("--keys", wm->key_file, "--wmbus: CMe3100 key file (§6.15), matched per meter")->needs(wmbus)->excludes("--key");
    cmd->add_flag("--line-keys", wm->line_keys, "--wmbus: each line (argument or stdin) is HEX KEY, KEY 32 hex digits or -\n"
                                                 "for none (the line form of `metercert vectors --wmbus`)")
        ->needs(wmbus)->excludes("--key")->excludes("--keys");
    cmd->add_option("--crc", wm->crc, "--wmbus: frame format of the hex: auto, A, B, none (ERRATA E-47)")
        ->needs(wmbus)->capture_default_str();
    cmd->callback([json, strict, hex, pcap, port, cmi6110, wm, use_wmbus, &exit_code] {
        if (*use_wmbus) {
            wm->json = *json;
            exit_code = run_decode_wmbus(*hex, *wm);
            return;
        }
        if (!cmi6110->empty()) exit_code = run_decode_cmi6110(*cmi6110, *hex, *json);
        else exit_code = pcap->empty() ? run_decode(*hex, *json, *strict) : run_decode_pcap(*pcap, *port, *json, *strict);
    });
}

}  // namespace metercert::cli
