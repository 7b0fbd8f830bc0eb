#include "metercert/devices/cme3100/schedule.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace metercert::devices::cme3100 {

namespace {

using namespace std::chrono;

struct FieldSpec {
    const char* name;
    int lo, hi;
    const char* const* names;  // lower-case names for lo..; nullptr if none
    int names_base;
};

constexpr const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec", nullptr};
constexpr const char* kDays[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", nullptr};
constexpr FieldSpec kFields[5] = {{"minute", 0, 59, nullptr, 0},
                                  {"hour", 0, 23, nullptr, 0},
                                  {"day of month", 1, 31, nullptr, 0},
                                  {"month", 1, 12, kMonths, 1},
                                  {"day of week", 0, 7, kDays, 0}};

struct Token {
    std::string text;
    std::size_t offset;
};

class FieldParser {
public:
    FieldParser(const Token& tok, const FieldSpec& spec, std::mt19937& rng) : t_(tok), spec_(spec), rng_(rng) {}

    // Sets the bits of values lo..hi matched; returns the text with `?` resolved.
    std::string parse(std::vector<bool>& bits) {
        bits.assign(static_cast<std::size_t>(spec_.hi + 1), false);
        std::string out;
        std::size_t start = 0;
        const std::string& s = t_.text;
        while (true) {
            const std::size_t comma = s.find(',', start);
            const std::string item = s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (!out.empty()) out += ',';
            out += item_(item, start, bits);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        return out;
    }

private:
    [[noreturn]] void fail(const char* name, std::size_t at, const std::string& what) const {
        throw CronError(name, t_.offset + at, fmt::format("cron: {} field '{}' at character {}: {}", spec_.name, t_.text,
                                                          t_.offset + at + 1, what));
    }

    int value(const std::string& v, std::size_t at) const {
        if (v.empty()) fail("bad_syntax", at, "a value is missing");
        if (std::isalpha(static_cast<unsigned char>(v[0]))) {
            std::string low = v;
            std::transform(low.begin(), low.end(), low.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (spec_.names)
                for (int i = 0; spec_.names[i]; ++i)
                    if (low == spec_.names[i]) return i + spec_.names_base;
            fail("bad_value", at, fmt::format("'{}' is not a {} name", v, spec_.name));
        }
        if (v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos)
            fail("bad_syntax", at, fmt::format("'{}' is not a number", v));
        const int n = std::stoi(v);
        if (n < spec_.lo || n > spec_.hi) fail("bad_value", at, fmt::format("{} is outside {}–{}", n, spec_.lo, spec_.hi));
        return n;
    }

    std::string item_(const std::string& item, std::size_t at, std::vector<bool>& bits) {
        if (item.empty()) fail("bad_syntax", at, "an empty list item");
        std::string body = item;
        int step = 1;
        const auto slash = body.find('/');
        if (slash != std::string::npos) {
            const std::string st = body.substr(slash + 1);
            if (st.empty() || st.size() > 3 || st.find_first_not_of("0123456789") != std::string::npos || std::stoi(st) == 0)
                fail("bad_step", at + slash + 1, fmt::format("step '{}' is not a positive number", st));
            step = std::stoi(st);
            body = body.substr(0, slash);
        }
        const bool random = !body.empty() && body[0] == '?';
        const std::size_t off = random ? 1 : 0;
        if (random) body = body.substr(1);
        int lo, hi;
        if (body.empty() && random) {
            lo = spec_.lo, hi = spec_.hi;
        } else if (body == "*") {
            if (random) fail("bad_syntax", at, "'?*': write '?' alone for a random value in the whole field");
            lo = spec_.lo, hi = spec_.hi;
        } else {
            const auto dash = body.find('-');
            if (dash == std::string::npos) {
                lo = hi = value(body, at + off);
                if (slash != std::string::npos && !random) hi = spec_.hi;  // "5/15" = 5-max/15
            } else {
                lo = value(body.substr(0, dash), at + off);
                hi = value(body.substr(dash + 1), at + off + dash + 1);
                if (hi < lo) fail("bad_range", at + off, fmt::format("range {}-{} runs backwards", lo, hi));
            }
        }
        if (random) {
            if (slash != std::string::npos) fail("bad_syntax", at, "'?' takes a value or range, not a step");
            const int v = std::uniform_int_distribution<int>(lo, hi)(rng_);
            bits[static_cast<std::size_t>(v)] = true;
            return std::to_string(v);
        }
        for (int v = lo; v <= hi; v += step) bits[static_cast<std::size_t>(v)] = true;
        return item;
    }

    const Token& t_;
    const FieldSpec& spec_;
    std::mt19937& rng_;
};

std::vector<Token> tokens(const std::string& text, std::size_t base) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        if (i >= text.size()) break;
        const std::size_t b = i;
        while (i < text.size() && !std::isspace(static_cast<unsigned char>(text[i]))) ++i;
        out.push_back({text.substr(b, i - b), base + b});
    }
    return out;
}

template <std::size_t N>
void to_bitset(const std::vector<bool>& v, std::bitset<N>& b, int shift = 0) {
    for (std::size_t i = 0; i < v.size(); ++i)
        if (v[i]) b.set((i + static_cast<std::size_t>(shift)) % N);
}

}  // namespace

CronSchedule CronSchedule::parse(const std::string& text) {
    std::mt19937 rng(3100);
    return parse(text, rng);
}

CronSchedule CronSchedule::parse(const std::string& text, std::mt19937& rng) {
    CronSchedule s;
    std::vector<std::vector<Token>> groups;
    std::size_t start = 0;
    while (true) {
        const std::size_t bar = text.find('|', start);
        auto toks = tokens(text.substr(start, bar == std::string::npos ? std::string::npos : bar - start), start);
        if (toks.empty() || toks.size() % 5 != 0)
            throw CronError("bad_field_count", start,
                            fmt::format("cron: pattern '{}' has {} fields; expected 5 (minute hour day month weekday)",
                                        text.substr(start, bar == std::string::npos ? std::string::npos : bar - start),
                                        toks.size()));
        for (std::size_t k = 0; k < toks.size(); k += 5) groups.emplace_back(toks.begin() + static_cast<long>(k), toks.begin() + static_cast<long>(k + 5));
        if (bar == std::string::npos) break;
        start = bar + 1;
    }
    for (const auto& g : groups) {
        Pattern p;
        std::vector<bool> bits;
        std::string resolved;
        for (int f = 0; f < 5; ++f) {
            FieldParser fp(g[static_cast<std::size_t>(f)], kFields[f], rng);
            const std::string r = fp.parse(bits);
            resolved += (f ? " " : "") + r;
            switch (f) {
                case 0: to_bitset(bits, p.minute); break;
                case 1: to_bitset(bits, p.hour); break;
                case 2: to_bitset(bits, p.dom); break;
                case 3: to_bitset(bits, p.month); break;
                case 4: to_bitset(bits, p.dow); break;  // 7 folds onto 0 (Sunday)
            }
        }
        p.text = resolved;
        s.patterns_.push_back(std::move(p));
    }
    return s;
}

bool CronSchedule::matches(sys_seconds t) const {
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    const auto wd = weekday{day}.c_encoding();
    for (const auto& p : patterns_)
        if (p.minute[static_cast<std::size_t>(hms.minutes().count())] && p.hour[static_cast<std::size_t>(hms.hours().count())] &&
            p.dom[static_cast<unsigned>(ymd.day())] && p.month[static_cast<unsigned>(ymd.month())] && p.dow[wd])
            return true;
    return false;
}

std::optional<sys_seconds> CronSchedule::next(sys_seconds after) const {
    sys_seconds t = floor<minutes>(after) + minutes(1);
    const sys_seconds limit = t + days(366 * 30);
    while (t < limit) {
        const auto day = floor<days>(t);
        const year_month_day ymd{day};
        const auto wd = weekday{day}.c_encoding();
        bool day_ok = false;
        for (const auto& p : patterns_)
            if (p.dom[static_cast<unsigned>(ymd.day())] && p.month[static_cast<unsigned>(ymd.month())] && p.dow[wd]) day_ok = true;
        if (!day_ok) {
            t = day + days(1);
            continue;
        }
        for (; t < day + days(1); t += minutes(1))
            if (matches(t)) return t;
    }
    return std::nullopt;
}

std::string CronSchedule::resolved() const {
    std::string out;
    for (const auto& p : patterns_) out += (out.empty() ? "" : "|") + p.text;
    return out;
}

ReadoutSchedule::ReadoutSchedule(CronSchedule cron, UtcMapping clock, TimePoint now)
    : cron_(std::move(cron)), clock_(clock), next_(cron_.next(clock_.utc_seconds(now))) {}

std::optional<TimePoint> ReadoutSchedule::next_deadline() const noexcept {
    if (!next_) return std::nullopt;
    return clock_.from_utc(*next_);
}

std::optional<sys_seconds> ReadoutSchedule::take_due(TimePoint now) {
    const sys_seconds utc = clock_.utc_seconds(now);
    if (!next_ || utc < *next_) return std::nullopt;
    const sys_seconds due = *next_;
    next_ = cron_.next(utc);
    return due;
}

AdaptiveRetry adaptive_retry(minutes interval) {
    if (interval <= minutes(15)) return {1, seconds(0)};
    if (interval <= minutes(60)) return {2, seconds(300)};
    if (interval <= hours(23)) return {3, seconds(500)};
    return {6, seconds(3600)};
}

std::optional<minutes> schedule_interval(const CronSchedule& s, sys_seconds now) {
    const auto a = s.next(now);
    if (!a) return std::nullopt;
    const auto b = s.next(*a);
    if (!b) return std::nullopt;
    return duration_cast<minutes>(*b - *a);
}

}  // namespace metercert::devices::cme3100
