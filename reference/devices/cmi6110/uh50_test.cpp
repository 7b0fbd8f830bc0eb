// The UH50 model: registers integrate deterministically; Table 3's error bits (§6.3.1)
#include "metercert/devices/cmi6110/uh50.hpp"

#include <gtest/gtest.h>

using namespace metercert;
using namespace metercert::devices::cmi6110;
using namespace std::chrono_literals;

namespace {
const UtcMapping kClock{TimePoint{}, UtcTime{std::chrono::sys_days{std::chrono::year{2019} / 11 / 28}}};
}

TEST(Uh50, SameSeedSameMeterOtherSeedOtherMeter) {
    Uh50 a(12345678, 7, TimePoint{}), b(12345678, 7, TimePoint{}), c(12345678, 8, TimePoint{});
    EXPECT_EQ(a.read(TimePoint{} + 5h, kClock), b.read(TimePoint{} + 5h, kClock));
    EXPECT_NE(a.power_w(), c.power_w());
}

TEST(Uh50, EnergyAndVolumeIntegrateConstantPowerAndFlow) {
    Uh50 m(12345678, 1, TimePoint{});
    const auto r = m.read(TimePoint{} + 10h, kClock);
    EXPECT_EQ(r.energy.raw, m.power_w() * 10 / 1000);  // kWh after 10 h
    EXPECT_EQ(r.volume.raw, m.flow_l_per_h() * 10);    // litres after 10 h
    EXPECT_EQ(r.power.raw, m.power_w());
    EXPECT_GE(m.power_w(), 5000);
    EXPECT_LE(m.power_w(), 20000);
    EXPECT_EQ(r.forward_temperature.raw - r.return_temperature.raw, m.forward_decidegrees() - m.return_decidegrees());
    EXPECT_EQ(r.meter_id, 12345678u);
    EXPECT_EQ(r.tariff[0].raw, r.energy.raw);
    // meter date/time: 2019-11-28 10:00 on the meter's clock
    EXPECT_EQ(r.time.year, 2019);
    EXPECT_EQ(r.time.month, 11);
    EXPECT_EQ(r.time.day, 28);
    EXPECT_EQ(r.time.hour, 10);
    EXPECT_EQ(r.time.minute, 0);
    // the payload encodes (Table 6 accepts every register the model writes)
    EXPECT_NO_THROW(encode_mbus(r, MessageFormat::extended));
}

TEST(Uh50, ErrorBitsAreTable3sBitNumbers) {
    // §6.3.1 Table 3: bit 0 F0, 4 F41, 7 F7, 10 F0V, 11 F7V2
    const std::pair<const char*, unsigned> table[] = {{"F0", 0}, {"F1", 1}, {"F2", 2}, {"F3", 3}, {"F41", 4}, {"F5", 5},
                                                      {"F6", 6}, {"F7", 7}, {"F8", 8}, {"F9", 9}, {"F0V", 10}, {"F7V2", 11}};
    for (const auto& [name, bit] : table) {
        Uh50 m(1, 1, TimePoint{});
        Uh50Error e{};
        ASSERT_TRUE(parse_uh50_error(name, e)) << name;
        EXPECT_EQ(error_name(e), name);
        m.set_error(e, true, TimePoint{});
        EXPECT_EQ(m.read(TimePoint{} + 1h, kClock).error_flags, 1u << bit) << name;
        m.set_error(e, false, TimePoint{} + 1h);
        EXPECT_EQ(m.error_flags(), 0u);
    }
    Uh50Error e{};
    EXPECT_FALSE(parse_uh50_error("F4", e));  // the table prints F41
}

TEST(Uh50, MissingTimeCountsHoursWithAnError) {
    Uh50 m(1, 1, TimePoint{});
    m.set_error(Uh50Error::F1, true, TimePoint{} + 1h);
    m.set_error(Uh50Error::F1, false, TimePoint{} + 3h + 30min);
    EXPECT_EQ(m.read(TimePoint{} + 10h, kClock).missing_time.raw, 2);
}
