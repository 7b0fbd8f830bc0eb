// The CMi6110 backlog (manual §7.3.4, §7.4.2.3, §7.5, §8): the manual's examples, typed from it
#include "metercert/devices/cmi6110/backlog.hpp"

#include <gtest/gtest.h>

#include "metercert/devices/cmi6110/schedule.hpp"
#include "metercert/devices/cmi6110/senml_payload.hpp"
#include "metercert/devices/cmi6110/uh50.hpp"

using namespace metercert;
using namespace metercert::devices::cmi6110;
using namespace std::chrono_literals;

namespace {
const UtcTime kStart{std::chrono::sys_days{std::chrono::year{2019} / 11 / 28}};
const UtcMapping kClock{TimePoint{}, kStart};  // meter clock = UTC (UTC offset 0)

struct Transmission {
    UtcTime at;
    UtcTime planned;
    std::vector<Telegram> telegrams;
    [[nodiscard]] std::size_t readouts() const {
        std::size_t n = 0;
        for (const auto& t : telegrams) n += t.readouts.size();
        return n;
    }
};

// Runs meter + schedule + backlog for `days`; the network is down in [down_from, down_to)
std::vector<Transmission> run(const ScheduleConfig& sc, const BacklogConfig& bc, Duration days, Duration down_from,
                              Duration down_to) {
    Uh50 meter(12345678, 3, TimePoint{});
    Schedule schedule(sc, kClock, 11, TimePoint{});
    Backlog backlog(bc);
    std::vector<Transmission> out;
    for (const auto& e : schedule.advance_to(TimePoint{} + days)) {
        if (e.kind == ScheduleEventKind::readout) {
            backlog.store(e.timestamp, meter.read(e.at, kClock));
            continue;
        }
        Transmission t{kClock.to_utc(e.at), kClock.to_utc(e.planned), backlog.plan(kClock.to_utc(e.at))};
        const auto since = e.at - TimePoint{};
        if (since < down_from || since >= down_to) {
            backlog.mark_sent(t.telegrams);
            out.push_back(std::move(t));
        }
    }
    return out;
}
// §7.3.4 examples 1 and 2: measurement 60, transmit 60, offset 15, delay 30, FIFO, max uploads 4,
// max age 72 h; offline for 5 days (days 1–5) while reading and storing, online from day 6
const ScheduleConfig kExampleSchedule{60min, 60min, 15min, 30min, 0min};
BacklogConfig example_backlog(MessageEncoding enc, std::size_t per_telegram) {
    BacklogConfig bc;
    bc.encoding = enc;
    bc.order = UploadOrder::fifo;
    bc.max_uploads = 4;
    bc.max_age = 72h;
    bc.readouts_per_telegram = per_telegram;
    return bc;
}

// A backlog of M-Bus readouts (one per telegram) every `step` from kStart
Backlog mbus_backlog(UploadOrder order, std::chrono::minutes max_age, unsigned max_uploads, int count, Duration step) {
    BacklogConfig bc;
    bc.encoding = MessageEncoding::mbus;
    bc.order = order;
    bc.max_age = max_age;
    bc.max_uploads = max_uploads;
    Backlog b(bc);
    for (int k = 0; k < count; ++k) b.store(kStart + k * step, Readout{});
    return b;
}

// The first transmission after the network is back (day 6); "The device will start by
// transmitting measurement data that is 3 days old (FIFO order)"
std::vector<Transmission>::const_iterator back_online(const std::vector<Transmission>& tx) {
    const auto online = std::find_if(tx.begin(), tx.end(), [](const Transmission& t) { return t.at >= kStart + 24h * 6; });
    EXPECT_NE(online, tx.end());
    if (online == tx.end()) return online;
    const auto oldest_age = online->at - online->telegrams.front().readouts.front().timestamp;
    EXPECT_LE(oldest_age, 72h);
    EXPECT_GT(oldest_age, 71h);
    return online;
}
}  // namespace

TEST(Cmi6110Backlog, ReadoutsPerPackIsTtransmitOverTreadout) {
    // §7.4.2.3: "If the readout interval is 120 minutes and the transmit interval is 1440 minutes
    // 12 readouts in total will be included."
    EXPECT_EQ(readouts_per_pack(120min, 1440min), 12u);
    EXPECT_EQ(readouts_per_pack(60min, 1440min), 24u);  // §7.4.2.3 example 1: 24 readings
    EXPECT_EQ(readouts_per_pack(120min, 720min), 6u);   // §7.4.2.3 example 2: 6 readings
    EXPECT_EQ(readouts_per_pack(60min, 60min), 1u);
}

TEST(Cmi6110Backlog, ManualExample1MbusFifoCatchesUpInAboutADay) {
    // §7.3.4 example 1: Message encoding M-Bus
    const auto tx = run(kExampleSchedule, example_backlog(MessageEncoding::mbus, 1), 24h * 9, 24h, 24h * 6);
    const auto online = back_online(tx);
    ASSERT_NE(online, tx.end());
    // "4 measurement telegrams per hour, at a randomly chosen time between minute 15 and 45";
    // "Each telegram contains a single readout, totaling 4 readouts per transmission"
    for (auto it = online; it != tx.end() && it->telegrams.size() == 4; ++it) {
        EXPECT_GE(it->at - it->planned, 15min);
        EXPECT_LE(it->at - it->planned, 45min);
        for (const auto& t : it->telegrams) EXPECT_EQ(t.readouts.size(), 1u);
        EXPECT_EQ(it->readouts(), 4u);
    }
    // FIFO: the readouts go out oldest first, each once
    UtcTime last{};
    for (auto it = online; it != tx.end(); ++it)
        for (const auto& t : it->telegrams) {
            EXPECT_GT(t.readouts.front().timestamp, last);
            last = t.readouts.front().timestamp;
        }
    // "approximately 1 day to 'catch up' and start sending one measurement per hour"
    const auto caught = std::find_if(online, tx.end(), [](const Transmission& t) { return t.readouts() == 1; });
    ASSERT_NE(caught, tx.end());
    EXPECT_GE(caught->planned - online->planned, 20h);
    EXPECT_LE(caught->planned - online->planned, 28h);
    for (auto it = caught; it != tx.end(); ++it) EXPECT_EQ(it->readouts(), 1u);
}

TEST(Cmi6110Backlog, ManualExample2SenmlTwelvePerTelegramCatchesUpInAboutTwoHours) {
    // §7.3.4 example 2: SenML/CBOR/M-Bus and "Device max payload size: 12 (readouts per telegram)"
    const auto tx = run(kExampleSchedule, example_backlog(MessageEncoding::senml, 12), 24h * 7, 24h, 24h * 6);
    const auto online = back_online(tx);
    ASSERT_NE(online, tx.end());
    // "Each telegram contains 12 meter readouts, totaling 4 x 12 = 48 readouts per transmission"
    ASSERT_EQ(online->telegrams.size(), 4u);
    EXPECT_EQ(online->readouts(), 48u);
    for (const auto& t : online->telegrams) {
        SenmlPayload p;
        SenmlError err;
        ASSERT_TRUE(decode_senml(t.payload, p, err)) << err.message();
        EXPECT_EQ(p.meter_id, "12345678");
        ASSERT_EQ(p.readouts.size(), 12u);
        for (std::size_t k = 0; k < 12; ++k)
            EXPECT_EQ(p.readouts[k].time, std::chrono::floor<std::chrono::seconds>(t.readouts[k].timestamp).time_since_epoch().count());
    }
    // "approximately 2 hours to 'catch up' and start sending one measurement per hour"
    const auto caught = std::find_if(online, tx.end(), [](const Transmission& t) { return t.readouts() == 1; });
    ASSERT_NE(caught, tx.end());
    EXPECT_GE(caught->planned - online->planned, 1h);
    EXPECT_LE(caught->planned - online->planned, 3h);
}

TEST(Cmi6110Backlog, SenmlExample1ThreeDailyMessagesAtMost) {
    // §7.4.2.3 example 1: readout 60, transmit 1440, max 3 messages per transmission: "maximum
    // transmitted messages per day is 3 (containing 3x24=72 readings, covering 3 days)"
    const ScheduleConfig sc{60min, 1440min, 30min, 240min, 0min};
    BacklogConfig bc;
    bc.max_uploads = 3;
    bc.readouts_per_telegram = readouts_per_pack(60min, 1440min);
    const auto tx = run(sc, bc, 24h * 10, 24h, 24h * 6);
    const auto online = std::find_if(tx.begin(), tx.end(), [](const Transmission& t) { return t.at >= kStart + 24h * 6; });
    ASSERT_NE(online, tx.end());
    EXPECT_EQ(online->telegrams.size(), 3u);
    EXPECT_EQ(online->readouts(), 72u);
    EXPECT_EQ(std::next(online)->readouts(), 72u);  // the backlog (5 days) takes two days
    // caught up: one pack a day with the readouts since the last transmission (about 24: the
    // random delay moves the transmission within 00:30–04:30)
    const auto& last = *std::prev(tx.end());
    EXPECT_EQ(last.telegrams.size(), 1u);
    EXPECT_GE(last.readouts(), 20u);
    EXPECT_LE(last.readouts(), 28u);
}

TEST(Cmi6110Backlog, LifoSendsTheNewestFirst) {
    auto b = mbus_backlog(UploadOrder::lifo, 10080min, 2, 5, 1h);
    const auto t = b.plan(kStart + 5h);
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0].readouts.front().timestamp, kStart + 4h);
    EXPECT_EQ(t[1].readouts.front().timestamp, kStart + 3h);
    b.mark_sent(t);
    EXPECT_EQ(b.unsent(), 3u);
    EXPECT_EQ(b.plan(kStart + 5h)[0].readouts.front().timestamp, kStart + 2h);
}

TEST(Cmi6110Backlog, UnsentReadoutsOlderThanMaxAgeAreDropped) {
    auto b = mbus_backlog(UploadOrder::fifo, 120min, 4, 5, 1h);
    const auto t = b.plan(kStart + 4h);
    EXPECT_EQ(t.front().readouts.front().timestamp, kStart + 2h);  // age 120 min is kept
    EXPECT_EQ(b.dropped_unsent(), 2u);
}

TEST(Cmi6110Backlog, StorageHolds8000Readouts) {
    // §8: "Meter data storage 8000 meter read out"
    auto b = mbus_backlog(UploadOrder::fifo, 10080min, 4, 8001, 1min);
    EXPECT_EQ(b.size(), 8000u);
    EXPECT_EQ(b.dropped_unsent(), 1u);
    EXPECT_EQ(b.plan(kStart + 8001min).front().readouts.front().timestamp, kStart + 1min);
}

TEST(Cmi6110Backlog, TooBigPayloadIsSplitIntoSelfDescribedPacks) {
    // §7.4.2.3 "Message Size Restrictions": several telegrams, each "fully self-described, i.e.,
    // contain Meter ID, timestamps etc."
    BacklogConfig bc;
    bc.order = UploadOrder::fifo;
    bc.readouts_per_telegram = 24;
    Backlog whole(bc);
    bc.max_payload_bytes = 200;
    Backlog split(bc);
    Readout r;
    r.meter_id = 12345678;
    for (int h = 0; h < 24; ++h) {
        whole.store(kStart + std::chrono::hours{h}, r);
        split.store(kStart + std::chrono::hours{h}, r);
    }
    ASSERT_EQ(whole.plan(kStart + 24h).size(), 1u);
    const auto t = split.plan(kStart + 24h);
    ASSERT_EQ(t.size(), 4u);  // max uploads 4
    std::int64_t expect_time = std::chrono::floor<std::chrono::seconds>(kStart).time_since_epoch().count();
    for (const auto& tel : t) {
        EXPECT_LE(tel.payload.size(), 200u);
        SenmlPayload p;
        SenmlError err;
        ASSERT_TRUE(decode_senml(tel.payload, p, err)) << err.message();
        EXPECT_EQ(p.meter_id, "12345678");
        EXPECT_EQ(p.base_time, expect_time);
        ASSERT_EQ(p.readouts.size(), tel.readouts.size());
        for (const auto& sr : p.readouts) {
            EXPECT_EQ(sr.time, expect_time);
            expect_time += 3600;
        }
    }
}
