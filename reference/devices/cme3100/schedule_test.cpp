// Cron patterns: every row of CMe3100 manual Table 10 against the description the manual gives
// for it; Table 9 (adaptive retries) at its boundaries. Calendar facts (2026-11-22 is a Sunday,
// the next Monday the 16th is 2027-08-16) were checked with an independent calendar.
#include <gtest/gtest.h>

#include <set>

#include "metercert/devices/cme3100/schedule.hpp"

using namespace metercert::devices::cme3100;
using namespace std::chrono;

namespace {
sys_seconds at(int y, unsigned mo, unsigned d, int h, int mi) {
    return sys_days{year{y} / month{mo} / day{d}} + hours(h) + minutes(mi);
}
sys_seconds next(const std::string& pattern, sys_seconds after) {
    const auto n = CronSchedule::parse(pattern).next(after);
    EXPECT_TRUE(n) << pattern;
    return n.value_or(sys_seconds{});
}
}  // namespace

TEST(Cron, Table10Rows) {
    const auto sun = at(2026, 11, 22, 10, 20);  // Sunday 10:20
    EXPECT_EQ(next("15 * * * *", sun), at(2026, 11, 22, 11, 15));
    EXPECT_EQ(next("*/15 * * * *", sun), at(2026, 11, 22, 10, 30));
    EXPECT_EQ(next("*/15 * * * *", at(2026, 11, 22, 23, 50)), at(2026, 11, 23, 0, 0));
    EXPECT_EQ(next("* * * * *", sun), at(2026, 11, 22, 10, 21));
    EXPECT_EQ(next("* 12 * * mon", sun), at(2026, 11, 23, 12, 0));
    EXPECT_EQ(next("* 12 * * mon", at(2026, 11, 23, 12, 59)), at(2026, 11, 30, 12, 0));
    EXPECT_EQ(next("* 12 16 * mon", sun), at(2027, 8, 16, 12, 0));  // both day fields must match
    EXPECT_EQ(next("59 11 * * 1,2,3,4,5", at(2026, 11, 27, 11, 59)), at(2026, 11, 30, 11, 59));  // Fri → Mon
    EXPECT_EQ(next("59 11 * * 1-5", at(2026, 11, 27, 11, 59)), at(2026, 11, 30, 11, 59));
    EXPECT_EQ(next("*/15 9-17 * * *", at(2026, 11, 22, 17, 45)), at(2026, 11, 23, 9, 0));
    EXPECT_EQ(next("*/15 9-17 * * *", at(2026, 11, 22, 17, 44)), at(2026, 11, 22, 17, 45));
    EXPECT_EQ(next("* 12 10-16/2 * *", at(2026, 11, 10, 12, 59)), at(2026, 11, 12, 12, 0));
    EXPECT_EQ(next("* 12 10-16/2 * *", at(2026, 11, 16, 12, 59)), at(2026, 12, 10, 12, 0));
    EXPECT_EQ(next("* 12 1-15,17,20-25 * *", at(2026, 11, 15, 12, 59)), at(2026, 11, 17, 12, 0));
    EXPECT_EQ(next("* 12 1-15,17,20-25 * *", at(2026, 11, 17, 12, 59)), at(2026, 11, 20, 12, 0));
}

TEST(Cron, CombinedPatternsWithAndWithoutTheBar) {
    for (const char* p : {"0 5 * * * 8 10 * * * 22 17 * * *", "0 5 * * *|8 10 * * *|22 17 * * *"}) {
        const auto s = CronSchedule::parse(p);
        EXPECT_EQ(s.patterns().size(), 3u);
        EXPECT_EQ(s.next(at(2026, 11, 22, 4, 0)), at(2026, 11, 22, 5, 0));
        EXPECT_EQ(s.next(at(2026, 11, 22, 5, 0)), at(2026, 11, 22, 10, 8));
        EXPECT_EQ(s.next(at(2026, 11, 22, 10, 8)), at(2026, 11, 22, 17, 22));
        EXPECT_EQ(s.next(at(2026, 11, 22, 17, 22)), at(2026, 11, 23, 5, 0));
    }
}

TEST(Cron, RandomValueIsDrawnOnceInsideItsRange) {
    std::set<std::string> seen;
    for (unsigned seed = 0; seed < 50; ++seed) {
        std::mt19937 rng(seed);
        const auto s = CronSchedule::parse("?1-30 0 * * *", rng);
        const std::string r = s.resolved();
        const int minute = std::stoi(r.substr(0, r.find(' ')));
        EXPECT_GE(minute, 1);
        EXPECT_LE(minute, 30);
        EXPECT_EQ(r.substr(r.find(' ')), " 0 * * *");
        seen.insert(r);
        // once drawn it stays: every run is at that minute
        EXPECT_EQ(s.next(at(2026, 11, 22, 0, 0)), at(2026, 11, 22, 0, minute));
        EXPECT_EQ(s.next(at(2026, 11, 22, 1, 0)), at(2026, 11, 23, 0, minute));
    }
    EXPECT_GT(seen.size(), 5u);
}

TEST(Cron, ErrorsAreNamedWithTheirPosition) {
    auto err = [](const std::string& p) -> std::pair<std::string, std::size_t> {
        try {
            CronSchedule::parse(p);
        } catch (const CronError& e) {
            return {e.name(), e.offset()};
        }
        return {"none", 0};
    };
    EXPECT_EQ(err("60 * * * *"), (std::pair<std::string, std::size_t>{"bad_value", 0}));
    EXPECT_EQ(err("* * * *"), (std::pair<std::string, std::size_t>{"bad_field_count", 0}));
    EXPECT_EQ(err("5-1 * * * *"), (std::pair<std::string, std::size_t>{"bad_range", 0}));
    EXPECT_EQ(err("*/0 * * * *"), (std::pair<std::string, std::size_t>{"bad_step", 2}));
    EXPECT_EQ(err("* * * * funday"), (std::pair<std::string, std::size_t>{"bad_value", 8}));
    EXPECT_EQ(err("0 5 * * *|8 10 * *"), (std::pair<std::string, std::size_t>{"bad_field_count", 10}));
    EXPECT_EQ(err("1,,2 * * * *"), (std::pair<std::string, std::size_t>{"bad_syntax", 2}));
    EXPECT_FALSE(CronSchedule::parse("0 0 31 2 *").next(at(2026, 1, 1, 0, 0)));  // never
    EXPECT_EQ(next("0 0 * * 7", at(2026, 11, 22, 10, 0)), at(2026, 11, 29, 0, 0));  // 7 = Sunday too
    EXPECT_EQ(next("0 0 29 feb *", at(2026, 11, 22, 10, 0)), at(2028, 2, 29, 0, 0));
}

TEST(AdaptiveRetries, Table9) {
    EXPECT_EQ(adaptive_retry(minutes(1)).max_attempts, 1u);
    EXPECT_EQ(adaptive_retry(minutes(15)).max_attempts, 1u);
    EXPECT_EQ(adaptive_retry(minutes(15)).between, seconds(0));
    EXPECT_EQ(adaptive_retry(minutes(16)).max_attempts, 2u);
    EXPECT_EQ(adaptive_retry(minutes(60)).between, seconds(300));
    EXPECT_EQ(adaptive_retry(minutes(61)).max_attempts, 3u);
    EXPECT_EQ(adaptive_retry(hours(23)).between, seconds(500));
    EXPECT_EQ(adaptive_retry(hours(23) + minutes(1)).max_attempts, 6u);
    EXPECT_EQ(adaptive_retry(hours(24)).between, seconds(3600));
    // the manual's example: a schedule "every 16th–60th minute" gets two retries 300 s apart
    const auto every30 = schedule_interval(CronSchedule::parse("*/30 * * * *"), at(2026, 11, 22, 0, 0));
    ASSERT_TRUE(every30);
    EXPECT_EQ(*every30, minutes(30));
    EXPECT_EQ(adaptive_retry(*every30).max_attempts, 2u);
}

// The readout job on the one clock: "*/15 * * * *" (Table 10: every 15 minutes) seen through a
// UtcMapping in which power-on (TimePoint{}) is 2024-03-01 10:07:30 UTC; the next readout is at
// 10:15:00, i.e. 7 min 30 s after power-on, then 10:30:00.
TEST(ReadoutSchedule, NextDeadlineThroughTheUtcMapping) {
    using metercert::TimePoint;
    const metercert::UtcMapping clock{TimePoint{}, at(2024, 3, 1, 10, 7) + seconds(30)};
    EXPECT_EQ(clock.to_utc(TimePoint{minutes(7) + seconds(30)}), at(2024, 3, 1, 10, 15));
    EXPECT_EQ(clock.from_utc(at(2024, 3, 1, 10, 15)), TimePoint{minutes(7) + seconds(30)});
    ReadoutSchedule s(CronSchedule::parse("*/15 * * * *"), clock, TimePoint{});
    const TimePoint first{minutes(7) + seconds(30)};
    EXPECT_EQ(s.next_deadline(), first);
    EXPECT_EQ(s.take_due(first - microseconds(1)), std::nullopt);  // not yet
    EXPECT_EQ(s.take_due(first), at(2024, 3, 1, 10, 15));
    EXPECT_EQ(s.next_deadline(), first + minutes(15));             // 10:30:00
    EXPECT_EQ(s.take_due(first), std::nullopt);                    // each minute once
    // a readout that ran late: the minutes missed meanwhile are not run one after the other
    EXPECT_EQ(s.take_due(first + minutes(50)), at(2024, 3, 1, 10, 30));
    EXPECT_EQ(s.next_deadline(), first + minutes(60));             // 11:15:00
    // a schedule that never matches again (Table 10's "0 0 31 2 *": 31 February) has no deadline
    EXPECT_EQ(ReadoutSchedule(CronSchedule::parse("0 0 31 2 *"), clock, TimePoint{}).next_deadline(), std::nullopt);
}
