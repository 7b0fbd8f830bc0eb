// wmbus+hex:FILE — captured wireless M-Bus telegrams replayed as a receiver (wmbus.receive).
// FILE is a text file, `-` standard input (read once per process; every link opened on it replays
// the same telegrams). The line format (rigs/README.md "wmbus+hex"):
//
//   # a comment; blank lines are ignored, and so is a line that is a JSON object (the readiness
//   # line `metercert simulate cmi1020w --hex-out -` prints first)
//   [TIME] HEX [rssi=-NN]
//
//   HEX   the telegram from its L-field: an even number of hex digits, no spaces; with the data
//         link layer's CRCs (format A or B) or without them, as the URL's crc= says (auto: A when
//         the length is format A's, B when it is L+1 and its CRCs hold, else none: ERRATA E-65)
//   TIME  the receive time: ISO 8601 UTC (2026-11-26T08:13:01Z, fractions of a second allowed) —
//         the link's clock is then UTC, µs since the Unix epoch — or seconds on the capture's own
//         clock (12.5); one form per file, never decreasing. Without TIME the telegram has none.
//   rssi  the receiver's RSSI, dBm (−150…0)
//
// URL: wmbus+hex:FILE?key=HEX&crc=auto|A|B|none&mode=T1. key= is the key the cases decrypt with
// (never shown, never used here); mode= is what the receiver listened in (reported with each
// telegram). A bad line is a DutError naming the file and the line, when the URL is checked or
// opened. receive(timeout): with times, the next telegram if it came within the timeout of now()
// (the time of the telegram before; the first telegram's time at the start), else none and the
// clock advances by the timeout; without times, the next telegram at once. After the last: none.
#include <cstdlib>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <mutex>
#include <sstream>

#include <fmt/format.h>

#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/wmbus_receiver.hpp"
#include "metercert/wmbus/crc.hpp"
#include "metercert/wmbus/key.hpp"
#include "params.hpp"

namespace metercert::rigs::links {
namespace {

struct Line {
    std::vector<std::uint8_t> frame;
    std::optional<TimePoint> at;
    std::optional<int> rssi;
    wmbus::CrcFormat crc = wmbus::CrcFormat::none;
};

struct Capture {
    std::vector<Line> lines;
    std::string mode;
    bool utc = false;  // the times are ISO 8601 UTC
};

// Standard input, read once (every link on `-` replays it).
const std::string& stdin_text() {
    static std::once_flag once;
    static std::string text;
    std::call_once(once, [] { text.assign(std::istreambuf_iterator<char>(std::cin), {}); });
    return text;
}

std::string file_text(const DutUrl& u) {
    if (u.target == "-") return stdin_text();
    std::error_code ec;
    if (std::filesystem::is_directory(u.target, ec)) fail(u, fmt::format("{}: is a directory, not a capture", u.target));
    std::ifstream in(u.target, std::ios::binary);
    if (!in) fail(u, fmt::format("{}: cannot be read ({})", u.target, std::filesystem::exists(u.target, ec) ? "permission denied" : "no such file"));
    return {std::istreambuf_iterator<char>(in), {}};
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool b_crcs_hold(const std::vector<std::uint8_t>& w) {
    auto block = [&](std::size_t from, std::size_t to) {
        return wmbus::crc16(std::span(w).subspan(from, to - from)) == static_cast<std::uint16_t>(w[to] << 8 | w[to + 1]);
    };
    const std::size_t n = w.size();
    if (n < 12) return false;
    if (n <= 128) return block(0, n - 2);
    return n >= 131 && block(0, 126) && block(128, n - 2);
}

wmbus::CrcFormat detect(const std::vector<std::uint8_t>& w) {
    const std::size_t l = w[0];
    if (w.size() == l + 1 + 2 * (1 + (l >= 9 ? (l - 9 + 15) / 16 : 0))) return wmbus::CrcFormat::a;
    if (w.size() == l + 1) return b_crcs_hold(w) ? wmbus::CrcFormat::b : wmbus::CrcFormat::none;
    return wmbus::CrcFormat::a;  // a length of no format: the usual radio format; the decoder names it
}

// 2026-11-26T08:13:01Z or …01.250Z → UTC µs since the Unix epoch; nullopt when not that form.
std::optional<std::int64_t> iso_utc_us(const std::string& s) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, used = 0;
    if (std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 || used != 19) return std::nullopt;
    std::size_t i = 19;
    std::int64_t frac_us = 0;
    if (i < s.size() && s[i] == '.') {
        std::int64_t scale = 100000;
        for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
            frac_us += (s[i] - '0') * scale;
            scale /= 10;
        }
    }
    if (i + 1 != s.size() || s[i] != 'Z') return std::nullopt;
    const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                          std::chrono::day(static_cast<unsigned>(d))};
    if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
    const auto t = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(sec);
    return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() + frac_us;
}

// 12 or 12.5 → µs; nullopt when not that form.
std::optional<std::int64_t> seconds_us(const std::string& s) {
    if (s.empty() || s.size() > 15 || s.find_first_not_of("0123456789.") != std::string::npos || s.front() == '.' ||
        s.back() == '.' || std::count(s.begin(), s.end(), '.') > 1)
        return std::nullopt;
    return std::llround(std::stod(s) * 1e6);
}

Capture read_capture(const DutUrl& u, const std::string& text, wmbus::CrcFormat crc, std::string mode) {
    Capture c;
    c.mode = std::move(mode);
    std::optional<bool> utc;
    std::optional<TimePoint> last;
    std::istringstream in(text);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
        ++n;
        const auto first = line.find_first_not_of(" \t\r");
        if (first == std::string::npos || line[first] == '#' || line[first] == '{') continue;
        auto bad = [&](const std::string& what) { fail(u, fmt::format("{} line {}: {}", u.target == "-" ? "stdin" : u.target, n, what)); };
        std::istringstream words(line);
        std::vector<std::string> tokens;
        Line l;
        for (std::string w; words >> w;) {
            if (w.rfind("rssi=", 0) == 0) {
                const std::string v = w.substr(5);
                int r = 1;
                std::size_t used = 0;
                try {
                    r = std::stoi(v, &used);
                } catch (...) {
                    used = 0;
                }
                if (used != v.size() || v.empty() || r > 0 || r < -150) bad(fmt::format("rssi={}: not a level in dBm, -150…0", v));
                l.rssi = r;
            } else {
                tokens.push_back(w);
            }
        }
        if (tokens.empty() || tokens.size() > 2) bad("expected [TIME] HEX [rssi=-NN]");
        const std::string& hex = tokens.back();
        if (hex.size() % 2) bad(fmt::format("an odd number of hex digits ({})", hex.size()));
        for (std::size_t i = 0; i < hex.size(); i += 2) {
            const int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
            if (hi < 0 || lo < 0) {
                const std::size_t at = hi < 0 ? i : i + 1;
                bad(fmt::format("'{}' at column {} is not a hex digit", hex[at], line.find(hex) + at + 1));
            }
            l.frame.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
        }
        if (l.frame.size() < 10) bad(fmt::format("{} byte(s): a telegram has at least L, C, M and A (10 bytes)", l.frame.size()));
        if (tokens.size() == 2) {
            const auto iso = iso_utc_us(tokens[0]);
            const auto secs = iso ? std::nullopt : seconds_us(tokens[0]);
            if (!iso && !secs) bad(fmt::format("time '{}': expected ISO 8601 UTC (2026-11-26T08:13:01Z) or seconds (12.5)", tokens[0]));
            if (utc && *utc != iso.has_value()) bad("times in two forms (ISO 8601 and seconds) in one capture");
            utc = iso.has_value();
            l.at = TimePoint{Duration{iso ? *iso : *secs}};
            if (last && *l.at < *last) bad("the time goes back");
            last = l.at;
        }
        if (!l.at && !c.lines.empty() && c.lines.back().at) bad("no time, although the telegrams before have one");
        if (l.at && !c.lines.empty() && !c.lines.back().at) bad("a time, although the telegrams before have none");
        l.crc = crc == wmbus::CrcFormat::automatic ? detect(l.frame) : crc;
        c.lines.push_back(std::move(l));
    }
    c.utc = utc.value_or(false);
    return c;
}

struct Config {
    wmbus::CrcFormat crc = wmbus::CrcFormat::automatic;
    std::string mode;
};

Config parse(const DutUrl& u) {
    Params p{u};
    Config c;
    if (p.has("key") && !wmbus::Key::from_hex(u.params.at("key"))) fail(u, "key= must be 32 hex digits (the key is not shown)");
    const std::string crc = p.str("crc", "auto");
    if (crc == "A") c.crc = wmbus::CrcFormat::a;
    else if (crc == "B") c.crc = wmbus::CrcFormat::b;
    else if (crc == "none") c.crc = wmbus::CrcFormat::none;
    else if (crc != "auto") fail(u, fmt::format("crc={} (expected auto, A, B or none)", crc));
    (void)p.seconds("interval", 0.05, 86400);  // the module's configured interval: the cases', not the link's
    c.mode = p.str("mode", "");
    if (!c.mode.empty() && c.mode.find_first_not_of("STCNFRstcnfr12m") != std::string::npos)
        fail(u, fmt::format("mode={} (a wireless M-Bus mode: S1, T1, C1, …)", c.mode));
    p.check_all_used();
    return c;
}

class WmbusHexLink : public DutLink, public WmbusReceiver {
public:
    WmbusHexLink(const DutUrl& u, const LinkOptions& o, Capture c) : DutLink(u.text, o.tap), c_(std::move(c)) {
        if (!c_.lines.empty() && c_.lines.front().at && c_.utc) now_ = *c_.lines.front().at;
        set_description(fmt::format("{} captured wireless M-Bus telegram(s) from {}{}", c_.lines.size(),
                                    u.target == "-" ? "standard input" : u.target,
                                    c_.lines.empty() || !c_.lines.front().at ? ", without receive times" : ""));
        set_capabilities({std::string(cap::wmbus_receive)});
    }
    WmbusReceiver* wmbus_receive() override { return this; }
    void close() override { closed_ = true; }

    std::optional<ReceivedTelegram> receive(Duration timeout) override {
        if (closed_) throw master::PortError("connection_closed", fmt::format("{}: the link is closed", url()));
        if (timeout < Duration::zero()) timeout = Duration::zero();
        if (next_ >= c_.lines.size() || (c_.lines[next_].at && *c_.lines[next_].at > now_ + timeout)) {
            now_ += timeout;
            return std::nullopt;
        }
        const Line& l = c_.lines[next_++];
        if (l.at) now_ = std::max(now_, *l.at);
        ReceivedTelegram t;
        t.frame = l.frame;
        t.crc = l.crc;
        t.at = l.at;
        t.rssi_dbm = l.rssi;
        t.mode = c_.mode;
        if (Tap* tp = tap()) {
            TapRecord r;
            r.link = LinkKind::wmbus;
            r.direction = Direction::from_dut;
            r.wall_us = l.at && c_.utc ? l.at->time_since_epoch().count() : wall_clock_us();
            r.bytes = l.frame;
            tp->record(r);
        }
        return t;
    }
    [[nodiscard]] TimePoint now() override { return now_; }

private:
    Capture c_;
    std::size_t next_ = 0;
    TimePoint now_{};
    bool closed_ = false;
};

const std::vector<std::string> kOffers{std::string(cap::wmbus_receive)};

const bool registered = register_link({
    .name = "wmbus+hex",
    .form = "wmbus+hex:FILE",
    .summary = "captured wireless M-Bus telegrams, one per line: [TIME] HEX [rssi=-NN] (FILE - = standard input)",
    .params = {{"key", "the AES-128 key the cases decrypt with, 32 hex digits; never shown"},
               {"crc", "the telegrams' frame format: auto (default), A, B, none (CRCs stripped by the receiver)"},
               {"mode", "the mode the receiver listened in (T1, C1, …), reported with each telegram"},
               {"interval", "the transmission interval the sending module is configured with, s (0.05…86400; the cases "
                            "measure against it; default: the profile's)"}},
    .offers = kOffers,
    .check = [](const DutUrl& u) {
        const Config c = parse(u);
        (void)read_capture(u, file_text(u), c.crc, c.mode);
        return kOffers;
    },
    .open = [](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> {
        const Config c = parse(u);
        return std::make_unique<WmbusHexLink>(u, o, read_capture(u, file_text(u), c.crc, c.mode));
    },
});

}  // namespace
}  // namespace metercert::rigs::links
