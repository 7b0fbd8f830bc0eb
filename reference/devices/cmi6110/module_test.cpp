// The reference CMi6110 run as a whole (module.hpp): the manual's §7.3.1 example, the faults' bytes
// against the §7.4.2.3 breakdown, and the uplinks file (its errors name line and key).
#include "metercert/devices/cmi6110/module.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../../testing/hex.hpp"

using namespace metercert;
using namespace metercert::devices::cmi6110;
using metercert::testing::hex;

namespace {

const UtcTime kStart{std::chrono::sys_days{std::chrono::year{2019} / 11 / 28}};

SimulationResult run(ModuleConfig c, Cmi6110Fault f = Cmi6110Fault::none, unsigned days = 1) {
    SimulationRun r;
    r.start = kStart;
    r.days = days;
    r.fault = f;
    return simulate(c, r);
}

}  // namespace

TEST(Cmi6110Module, UtcOffsetSixtySendsMeterNoonAsElevenUtc) {
    // §7.3.1: "at time 12.00 a telegram is sent with timestamp 11.00"
    ModuleConfig c;
    c.schedule.utc_offset = std::chrono::minutes{60};
    const auto r = run(c, Cmi6110Fault::none, 2);
    bool seen = false;
    for (const auto& u : r.uplinks)
        for (const auto& s : u.readouts)
            if (s.readout.time.bits == mbus::DateTime::make('F', 2019, 11, 28, 12, 0).bits) {
                EXPECT_EQ(format_utc_seconds(s.timestamp), "2019-11-28T11:00:00Z");
                seen = true;
            }
    EXPECT_TRUE(seen);
}

TEST(Cmi6110Module, SenmlFaultsChangeTheBreakdownsBytes) {
    ModuleConfig c;
    const auto ref = run(c).uplinks.at(0).payload;
    // §7.4.2.3 breakdown: array header (98 18 for 24 records, 8N below 24) | A3 | 21 68 "12345678" | 22 1A <4 bytes> | 08 …
    const std::ptrdiff_t h = ref[0] == 0x98 ? 2 : 1;
    ASSERT_EQ(std::vector<std::uint8_t>(ref.begin() + h, ref.begin() + h + 13), hex("A3 21 68 3132333435363738 22 1A"));
    const auto minus1 = run(c, Cmi6110Fault::base_time_label_minus1).uplinks.at(0).payload;
    EXPECT_EQ(minus1[h + 11], 0x20);  // key −1
    const auto longer = run(c, Cmi6110Fault::integer_not_shortest).uplinks.at(0).payload;
    EXPECT_EQ(std::vector<std::uint8_t>(longer.begin() + h + 11, longer.begin() + h + 17), hex("22 1B 00000000"));
    EXPECT_EQ(std::vector<std::uint8_t>(longer.begin() + h + 17, longer.begin() + h + 21),
              std::vector<std::uint8_t>(ref.begin() + h + 13, ref.begin() + h + 17));
    const auto indef = run(c, Cmi6110Fault::indefinite_length_pack).uplinks.at(0).payload;
    EXPECT_EQ(indef.front(), 0x9F);
    EXPECT_EQ(indef.back(), 0xFF);
    EXPECT_EQ(indef.size(), ref.size() - static_cast<std::size_t>(h) + 2);  // 8N → 9F … FF
}

TEST(Cmi6110Module, ClampMissingLeavesTheWindowUnclamped) {
    ModuleConfig c;
    c.schedule.transmit_interval = std::chrono::minutes{60};  // 30 + 240 > 60: §7.3.3 clamps to [T1, T1 + 60]
    for (const auto& u : run(c).uplinks) EXPECT_LE(u.time - u.planned, std::chrono::minutes{60});
    bool beyond = false;
    for (const auto& u : run(c, Cmi6110Fault::tdelay_clamp_missing).uplinks) {
        EXPECT_GE(u.time - u.planned, std::chrono::minutes{30});
        EXPECT_LE(u.time - u.planned, std::chrono::minutes{270});
        beyond = beyond || u.time - u.planned > std::chrono::minutes{60};
    }
    EXPECT_TRUE(beyond);
}

TEST(Cmi6110Module, BadConfigurationsAreRefusedByName) {
    ModuleConfig c;
    c.schedule.transmit_delay = std::chrono::minutes{241};
    EXPECT_THROW(run(c), std::invalid_argument);
    try {
        run(c);
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "transmit_delay 241: must be 1..240 (§7.5)");
    }
    c = {};
    c.meter_id = "1234567";
    EXPECT_THROW(run(c), std::invalid_argument);
}

TEST(Cmi6110Module, TheUplinksFileRoundTrips) {
    ModuleConfig c;
    c.encoding = MessageEncoding::json;
    c.order = UploadOrder::fifo;
    c.schedule.utc_offset = std::chrono::minutes{-300};
    const auto r = run(c);
    std::string text = config_line(c) + "\n";
    for (const auto& u : r.uplinks) text += uplink_line(u) + "\n";
    const UplinksFile f = parse_uplinks(text);
    EXPECT_EQ(f.config.encoding, MessageEncoding::json);
    EXPECT_EQ(f.config.order, UploadOrder::fifo);
    EXPECT_EQ(f.config.schedule.utc_offset, std::chrono::minutes{-300});
    EXPECT_EQ(f.config.readouts_per_telegram, 24u);  // written as Ttransmit / Treadout
    ASSERT_EQ(f.uplinks.size(), r.uplinks.size());
    for (std::size_t i = 0; i < f.uplinks.size(); ++i) {
        EXPECT_EQ(f.uplinks[i].payload, r.uplinks[i].payload);
        EXPECT_EQ(f.uplinks[i].time, std::chrono::floor<std::chrono::seconds>(r.uplinks[i].time));
    }
}

TEST(Cmi6110Module, UplinksFileErrorsNameLineAndKey) {
    auto message = [](std::string_view text) {
        try {
            parse_uplinks(text);
            return std::string("parsed");
        } catch (const UplinksError& e) {
            return std::string(e.what());
        }
    };
    EXPECT_EQ(message(""), "line 1, key \"config\": no configuration line (empty file)");
    EXPECT_EQ(message("{\"config\": {}}\n"), "line 1: no uplink after the configuration line");
    EXPECT_EQ(message("{\"config\": {\"colour\": 1}}\n"), "line 1, key \"colour\": unknown configuration key");
    EXPECT_EQ(message("{\"config\": {\"max_uploads\": 0}}\n"), "line 1, key \"max_uploads\": 0 is outside 1..8000 (§7.5)");
    // E-87: "1.. 4" is a minimum and the default; a module configured with more uploads is a valid capture
    EXPECT_EQ(message("{\"config\": {\"max_uploads\": 5, \"max_age\": 20160}}\n"), "line 1: no uplink after the configuration line");
    EXPECT_EQ(message("{\"config\": {}}\n{\"time\": \"2019-11-28T25:00Z\", \"encoding\": \"senml\", \"payload\": \"80\"}\n"),
              "line 2, key \"time\": '2019-11-28T25:00Z' is not YYYY-MM-DDTHH:MM:SSZ (UTC)");
    EXPECT_EQ(message("{\"config\": {}}\n{\"time\": \"2019-11-28T03:00Z\", \"encoding\": \"senml\", \"payload\": \"801\"}\n"),
              "line 2, key \"payload\": expected an even number of hex digits");
    EXPECT_EQ(message("{\"config\": {}}\n{\"time\": \"2019-11-28T03:00Z\", \"payload\": \"80\"}\n"), "line 2, key \"encoding\": missing");
    EXPECT_EQ(message("{\"config\": {}}\n[1]\n"), "line 2: expected a JSON object");
    EXPECT_EQ(message("{\"config\": {}}\n{\"time\": \n"), "line 2: not JSON (at byte 10)");
    EXPECT_EQ(message("{\"config\": {}}\r\n\r\n{\"time\": \"2019-11-28T03:00Z\", \"encoding\": \"senml\", \"payload\": \"80\", \"x\": 1}\r\n"),
              "line 3, key \"x\": unknown key");
}

TEST(Cmi6110Module, TimeSyncMakesOneReadoutAndOneTransmissionAndRealignsTheGrid) {
    // §7.3.2 / ERRATA E-61: a meter clock 7 minutes fast is synchronised at 10:07 UTC (UTC offset
    // 0). The module stamps readouts with the meter's clock (§7.3.1), so they read 09:00, 10:00 on
    // the fast clock; one readout is made at the synchronisation (stamped 10:07, the corrected
    // time) and the grid goes on at 11:00. Transmissions are planned on the meter's clock: T1 of
    // 06:00 on the fast clock is 05:53 UTC, T1 of 12:00 after the synchronisation is 12:00 UTC.
    ModuleConfig c;
    c.schedule.transmit_interval = std::chrono::minutes{360};
    SimulationRun plain;
    plain.start = kStart;
    plain.clock_error = std::chrono::minutes{7};
    SimulationRun synced = plain;
    synced.time_sync = kStart + std::chrono::hours{10} + std::chrono::minutes{7};
    const auto a = simulate(c, plain), b = simulate(c, synced);
    EXPECT_EQ(b.readouts, a.readouts + 1);
    std::vector<std::string> stamps;
    std::set<std::string> planned;
    for (const auto& u : b.uplinks) {
        planned.insert(format_utc_seconds(u.planned));
        for (const auto& s : u.readouts) stamps.push_back(format_utc_seconds(s.timestamp));
    }
    auto has = [&](const char* t) { return std::find(stamps.begin(), stamps.end(), t) != stamps.end(); };
    EXPECT_TRUE(has("2019-11-28T09:00:00Z"));
    EXPECT_TRUE(has("2019-11-28T10:00:00Z"));
    EXPECT_TRUE(has("2019-11-28T10:07:00Z"));  // the synchronisation's own readout
    EXPECT_TRUE(has("2019-11-28T11:00:00Z"));
    EXPECT_EQ(planned.count("2019-11-28T05:53:00Z"), 1u);  // T1 06:00 on the fast clock
    EXPECT_EQ(planned.count("2019-11-28T12:00:00Z"), 1u);  // T1 12:00 on the corrected clock
    EXPECT_EQ(planned.count("2019-11-28T11:53:00Z"), 0u);
    // one more transmission, the synchronisation's at once
    std::set<std::string> tx_a, tx_b;
    for (const auto& u : a.uplinks) tx_a.insert(format_utc_seconds(u.time));
    for (const auto& u : b.uplinks) tx_b.insert(format_utc_seconds(u.time));
    EXPECT_EQ(tx_b.size(), tx_a.size() + 1);
    EXPECT_EQ(tx_b.count("2019-11-28T10:07:00Z"), 1u);
    // the fault keeps the realignment and drops the readout and transmission
    synced.fault = Cmi6110Fault::time_sync_without_readout;
    EXPECT_EQ(simulate(c, synced).readouts, a.readouts);
    synced.fault = Cmi6110Fault::none;
    synced.time_sync = kStart + std::chrono::days{2};
    EXPECT_THROW(simulate(c, synced), std::invalid_argument);  // outside the one-day run
}

// §5.3.5-§5.3.6 and §7.5 power mode (ERRATA E-111, E-112)
TEST(Cmi6110Module, ButtonHoldTimesFollowTheManualsRanges) {
    using std::chrono::milliseconds;
    // §5.3.5 "at least 5 seconds" activates a passive module
    EXPECT_EQ(button_action(PowerMode::passive, milliseconds{4999}), ButtonAction::none);
    EXPECT_EQ(button_action(PowerMode::passive, milliseconds{5000}), ButtonAction::activate);
    EXPECT_EQ(button_action(PowerMode::passive, milliseconds{30000}), ButtonAction::activate);
    // §5.3.6 "5-15 seconds" reboots, "15-20 seconds" switches off
    EXPECT_EQ(button_action(PowerMode::active, milliseconds{4000}), ButtonAction::none);
    EXPECT_EQ(button_action(PowerMode::active, milliseconds{10000}), ButtonAction::reboot);
    EXPECT_EQ(button_action(PowerMode::active, milliseconds{17000}), ButtonAction::switch_off);
    EXPECT_EQ(button_action(PowerMode::active, milliseconds{25000}), ButtonAction::none);
}

// §5.3.5 "until the green LED lights up" (5 s), §5.3.6 release "when the green LED is lit" (reboot,
// 5-15 s) / "when the red LED is lit" (switch-off, 15-20 s); ERRATA E-143
TEST(Cmi6110Module, HoldLedsFollowTheManualsReleaseTimes) {
    using std::chrono::milliseconds;
    const auto at = [](long long ms, Cmi6110Fault f = Cmi6110Fault::none) {
        const HoldLeds l = hold_leds(milliseconds{ms}, f);
        return std::pair{l.green, l.red};
    };
    EXPECT_EQ(at(0), std::pair(false, false));
    EXPECT_EQ(at(4999), std::pair(false, false));
    EXPECT_EQ(at(5000), std::pair(true, false));
    EXPECT_EQ(at(14999), std::pair(true, false));
    EXPECT_EQ(at(15000), std::pair(false, true));
    EXPECT_EQ(at(20000), std::pair(false, true));
    EXPECT_EQ(at(20001), std::pair(false, false));
    EXPECT_EQ(at(6000, Cmi6110Fault::green_led_late), std::pair(false, false));
    EXPECT_EQ(at(8000, Cmi6110Fault::green_led_late), std::pair(true, false));
}

TEST(Cmi6110Module, PassiveSendsNothingUntilActivatedThenReadsOnAttach) {
    ModuleConfig c;
    SimulationRun r;
    r.start = kStart;
    r.power_mode = PowerMode::passive;
    EXPECT_TRUE(simulate(c, r).uplinks.empty());
    EXPECT_EQ(simulate(c, r).readouts, 0u);
    r.presses.push_back({kStart + std::chrono::hours{3}, std::chrono::milliseconds{6000}});
    const auto res = simulate(c, r);
    ASSERT_EQ(res.attached.size(), 1u);
    EXPECT_EQ(res.attached[0], kStart + std::chrono::hours{3} + std::chrono::seconds{36});
    ASSERT_FALSE(res.uplinks.empty());
    EXPECT_EQ(res.uplinks[0].time, res.attached[0]);  // sent at once on attach (§5.3.5)
    EXPECT_EQ(res.final_mode, PowerMode::active);
}

TEST(Cmi6110Module, NothingWhileTheSupplyIsOff) {
    ModuleConfig c;
    c.schedule.transmit_interval = std::chrono::minutes{60};
    SimulationRun r;
    r.start = kStart;
    r.power_off.push_back({kStart + std::chrono::hours{2}, kStart + std::chrono::hours{5}});
    const auto res = simulate(c, r);
    for (const auto& u : res.uplinks)
        EXPECT_FALSE(u.time >= kStart + std::chrono::hours{2} && u.time < kStart + std::chrono::hours{5} + std::chrono::seconds{30});
    ASSERT_EQ(res.attached.size(), 1u);
    EXPECT_EQ(res.attached[0], kStart + std::chrono::hours{5} + std::chrono::seconds{30});
}
