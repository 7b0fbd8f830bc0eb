// `metercert decode`: frames as hex from arguments or stdin (one per line) → table or canonical JSON.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "commands.hpp"
#include "hex.hpp"
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
        return;
    }
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

// Arguments are frames, one each ("68 0A …" quoted). When every argument is a single byte
// (1–2 hex digits), as when a frame is typed unquoted, they form one frame together.
std::vector<std::string> frames_of(const std::vector<std::string>& args) {
    const bool bytes = !args.empty() && std::all_of(args.begin(), args.end(), [](const std::string& a) { return a.size() <= 2; });
    if (!bytes) return args;
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    return {joined};
}

int run_decode(const std::vector<std::string>& args_in, bool json) {
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
        const std::string where = args.empty() ? fmt::format("line {}: ", i + 1) : (lines.size() > 1 ? fmt::format("argument {}: ", i + 1) : "");
        if (!parse_hex(line, bytes, err) || !decode(bytes, t, err)) {
            std::cerr << "error: " << where << err.message() << "\n";
            rc = 2;
            continue;
        }
        if (json) {
            out.clear();
            to_json(t, out);
            out.push_back('\n');
            std::cout << out;
        } else {
            print_table(t);
        }
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
int run_decode_pcap(const std::string& path, std::uint16_t port, bool json) {
    std::vector<rigs::TapRecord> recs;
    try {
        recs = rigs::read_pcap(path, port);
    } catch (const rigs::PcapError& e) {
        std::cerr << "error: " << e.what() << "\n";
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
        const char* dir = d == 0 ? "master→slave" : "slave→master";
        for (const auto& ev : events) {
            if (ev.kind != mbus::StreamEvent::Kind::frame) {
                std::cerr << fmt::format("error: {} {} {}: {} bytes: {}\n", when, dir,
                                         ev.kind == mbus::StreamEvent::Kind::garbled ? "garbled" : "garbage", ev.bytes.size(),
                                         ev.kind == mbus::StreamEvent::Kind::garbled ? ev.error.message() : "no start character");
                rc = 2;
                continue;
            }
            ++frames;
            DecodeError err;
            if (!decode(ev.bytes, t, err)) {
                std::cerr << fmt::format("error: {} {}: {}\n", when, dir, err.message());
                rc = 2;
                continue;
            }
            if (json) {
                out = fmt::format("{{\"time\":\"{}\",\"direction\":\"{}\",\"decoded\":", when, d == 0 ? "master_to_slave" : "slave_to_master");
                to_json(t, out);
                out += "}\n";
                std::cout << out;
            } else {
                std::cout << when << "  " << dir << "  ";
                print_table(t);
            }
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

void print_telegram_table(const mbus::Telegram& t) { print_table(t); }

void add_decode(CLI::App& app, int& exit_code) {
    auto* cmd = app.add_subcommand("decode", "Decode M-Bus frames given as hex (arguments, or stdin one per line; spaces allowed).\n"
                                             "Exit 0 when all decode, 2 on any invalid input with\n"
                                             "'error: <name> at byte <offset>: <detail>' on stderr.");
    auto json = std::make_shared<bool>(false);
    auto hex = std::make_shared<std::vector<std::string>>();
    cmd->add_flag("--json", *json, "canonical JSON, one object per line (schema: vectors/README.md)");
    cmd->add_option("HEX", *hex, "frames as hex, one per argument (quote a frame with spaces; unquoted\n"
                                 "single-byte arguments form one frame); stdin when none");
    auto pcap = std::make_shared<std::string>();
    auto port = std::make_shared<std::uint16_t>(10001);
    cmd->add_option("--pcap", *pcap, "decode the frames of a capture: metercert's (link type 147) or a tcpdump\n"
                                     "capture of TCP to a gateway (--port)");
    cmd->add_option("--port", *port, "TCP port of the M-Bus stream in an ordinary capture")->capture_default_str();
    cmd->callback([json, hex, pcap, port, &exit_code] {
        exit_code = pcap->empty() ? run_decode(*hex, *json) : run_decode_pcap(*pcap, *port, *json);
    });
}

}  // namespace metercert::cli
