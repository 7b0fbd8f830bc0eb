// CMe3100 job schedules: cron patterns of §6.39 (Table 10) with the Elvaco extensions, next-run
// computation, and the adaptive retry table of §6.32.1 (Table 9). Pure logic; times are UTC.
//
// A pattern has five fields — minute (0–59), hour (0–23), day of month (1–31), month (1–12 or
// jan–dec), day of week (0–7, 0 and 7 = Sunday, or sun–sat) — each `*`, a value, a range a-b, a
// step */n or a-b/n, or a comma list of those. Extensions: `?` before a field's value or range
// picks one random value in it, once, when the schedule is created ("?1-30 0 * * *"); `|`
// combines several patterns ("0 5 * * *|8 10 * * *"). ERRATA E-25: Table 10 prints such a
// combination without the `|` ("0 5 * * * 8 10 * * * 22 17 * * *"): 5·k fields are read as k
// patterns. Day of month and day of week must both match (Table 10: "* 12 16 * mon" = Mondays
// that are the 16th), unlike Vixie cron's either-or.
//
// ReadoutSchedule is the CMe3100's readout job on the one clock (metercert/time.hpp): the cron
// schedule read through the gateway's one UtcMapping, with next_deadline() as a TimePoint.
#pragma once

#include <array>
#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "metercert/time.hpp"

namespace metercert::devices::cme3100 {

// A pattern that cannot be parsed: name (bad_field_count, bad_value, bad_range, bad_step,
// bad_syntax) and the character offset in the text.
class CronError : public std::invalid_argument {
public:
    CronError(std::string name, std::size_t offset, const std::string& what)
        : std::invalid_argument(what), name_(std::move(name)), offset_(offset) {}
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] std::size_t offset() const noexcept { return offset_; }

private:
    std::string name_;
    std::size_t offset_;
};

class CronSchedule {
public:
    // Parses `text`; `rng` draws the `?` values. Throws CronError.
    static CronSchedule parse(const std::string& text, std::mt19937& rng);
    static CronSchedule parse(const std::string& text);  // `?` drawn from a fixed seed

    // The first whole minute strictly after `after` that matches any of the patterns; nullopt
    // when none exists within 30 years (e.g. "0 0 31 2 *").
    [[nodiscard]] std::optional<std::chrono::sys_seconds> next(std::chrono::sys_seconds after) const;
    [[nodiscard]] bool matches(std::chrono::sys_seconds t) const;
    // The patterns with every `?` resolved, joined by '|': "17 0 * * *".
    [[nodiscard]] std::string resolved() const;

    struct Pattern {
        std::bitset<60> minute;
        std::bitset<24> hour;
        std::bitset<32> dom;    // 1..31
        std::bitset<13> month;  // 1..12
        std::bitset<7> dow;     // 0..6, Sunday = 0
        std::string text;       // with `?` resolved
    };
    [[nodiscard]] const std::vector<Pattern>& patterns() const noexcept { return patterns_; }

private:
    std::vector<Pattern> patterns_;
};

// The readout job's timing (§6.25, §6.39): when the next scheduled readout is due on the clock,
// through the one mapping of that clock to UTC (cron patterns are UTC minutes).
class ReadoutSchedule {
public:
    // Plans the first readout: the first matching minute strictly after the UTC second of `now`.
    ReadoutSchedule(CronSchedule cron, UtcMapping clock, TimePoint now);

    // When the next scheduled readout is due; nullopt when the schedule never matches again.
    [[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept;
    // The scheduled UTC minute that is due at `now` (next_deadline() <= now), or nullopt. The
    // next readout is then planned after `now`: minutes missed meanwhile (a long readout, a
    // suspended host) are not run late one after the other.
    std::optional<std::chrono::sys_seconds> take_due(TimePoint now);

    [[nodiscard]] const CronSchedule& cron() const noexcept { return cron_; }
    [[nodiscard]] const UtcMapping& clock() const noexcept { return clock_; }

private:
    CronSchedule cron_;
    UtcMapping clock_;
    std::optional<std::chrono::sys_seconds> next_;
};

// Table 9 (§6.32.1): how many retries and how far apart, by the interval of the Push Report
// schedule: 1–15 min → 1 retry, 0 s; 16–60 min → 2, 300 s; 61 min–23 h → 3, 500 s; > 23 h → 6, 3600 s.
struct AdaptiveRetry {
    unsigned max_attempts = 0;
    std::chrono::seconds between{0};
};
AdaptiveRetry adaptive_retry(std::chrono::minutes schedule_interval);
// The interval of a schedule as Table 9 means it: the time between its next two runs after `now`.
std::optional<std::chrono::minutes> schedule_interval(const CronSchedule& s, std::chrono::sys_seconds now);

}  // namespace metercert::devices::cme3100
