// The master against reference CMi1020 slaves on the in-process port: the bytes it sends are the
// manual's (CMi1020 §6.7.1–§6.7.7, EN 13757-2), its FCB handling reads every telegram once, and
// each fault ends with a named error that leaves the master usable.
#include <gtest/gtest.h>

#include <fstream>

#include "metercert/devices/bus.hpp"
#include "metercert/master/master.hpp"
#include "metercert/mbus/telegram.hpp"
#include "metercert/rigs/sim_port.hpp"

using namespace metercert;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::string file(const std::string& rel) {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/" + rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// Wraps a port and injects faults into the next exchanges.
class FaultPort : public master::BusPort {
public:
    explicit FaultPort(master::BusPort& inner) : inner_(inner) {}
    master::Exchange transact(std::span<const std::uint8_t> req, Duration timeout) override {
        if (fail_with) {
            const std::string name = *fail_with;
            fail_with.reset();
            throw master::PortError(name, "injected");
        }
        master::Exchange ex = inner_.transact(req, timeout);
        if (drop > 0) {
            --drop;
            return {};  // timeout
        }
        if (corrupt > 0 && ex.outcome == master::Exchange::Outcome::frame && ex.bytes.size() > 5) {
            --corrupt;
            ex.bytes[ex.bytes.size() - 2] ^= 0x01;  // checksum byte
            ex.outcome = master::Exchange::Outcome::garbled;
        }
        return ex;
    }
    void send(std::span<const std::uint8_t> r, Duration s) override { inner_.send(r, s); }
    void idle(Duration d) override { inner_.idle(d); }
    void set_baud(unsigned b) override { inner_.set_baud(b); }
    [[nodiscard]] unsigned baud() const override { return inner_.baud(); }
    [[nodiscard]] TimePoint now() const override { return inner_.now(); }
    int drop = 0, corrupt = 0;
    std::optional<std::string> fail_with;

private:
    master::BusPort& inner_;
};

struct Rig {
    explicit Rig(std::string readout = file("obis/lgz-zmf100ac-m26.readout"), std::size_t count = 1)
        : bus({.count = count, .secondary = count > 1 ? std::optional<std::uint32_t>(0x20000001) : std::nullopt,
               .address = 0, .readout = std::move(readout)}),
          port(bus), faults(port), m(faults) {
        port.set_tap(&tap);
        port.idle(std::chrono::milliseconds(2500));  // after the first meter readout (2 s)
    }
    std::vector<Bytes> sent() const {
        std::vector<Bytes> out;
        for (const auto& r : tap.records)
            if (r.direction == rigs::Direction::to_dut) out.push_back(r.bytes);
        return out;
    }
    devices::Cmi1020Bus bus;
    rigs::SimPort port;
    rigs::MemoryTap tap;
    FaultPort faults;
    master::Master m;
};

}  // namespace

TEST(Master, SndNkeAndReadSendTheManualsBytes) {
    Rig r;
    EXPECT_TRUE(r.m.snd_nke(0));
    const auto out = r.m.read(0);
    ASSERT_EQ(out.telegrams.size(), 1u);  // the E350's records fit one telegram (0x0F)
    EXPECT_FALSE(out.truncated);
    // §6.7.1 SND_NKE 10 40 00 40 16; §6.7.2 REQ_UD2 with FCV=1 and FCB=1 after SND_NKE: 10 7B 00 7B 16
    EXPECT_EQ(r.sent(), (std::vector<Bytes>{{0x10, 0x40, 0x00, 0x40, 0x16}, {0x10, 0x7B, 0x00, 0x7B, 0x16}}));
    const auto t = mbus::decode_or_throw(out.telegrams[0].frame);
    EXPECT_EQ(t.header.manufacturer, 0x1596);  // ELV
    // the reply came inside EN 13757-2's window: 11 bit times … 330 bit times + 50 ms
    EXPECT_GE(out.telegrams[0].reply_gap, master::min_response(2400));
    EXPECT_LE(out.telegrams[0].reply_gap, master::max_response(2400));
    EXPECT_EQ(r.m.counters().telegrams, 2u);
    EXPECT_EQ(r.m.counters().timeouts, 0u);
}

TEST(Master, MultiTelegramTogglesFcbAndStopsAtTheLastTelegram) {
    Rig r(file("obis/table6-all-rows.readout"));
    r.m.snd_nke(0);
    const auto out = r.m.read(0);
    ASSERT_GE(out.telegrams.size(), 2u);
    // every telegram but the last ends with DIF 0x1F, the last with 0x0F (CMi1020 §6.5)
    for (std::size_t i = 0; i < out.telegrams.size(); ++i)
        EXPECT_EQ(mbus::decode_or_throw(out.telegrams[i].frame).special, i + 1 < out.telegrams.size() ? 0x1F : 0x0F);
    // C-fields: 7B, 5B, 7B, … (FCB toggles on each new request)
    const auto sent = r.sent();
    for (std::size_t i = 1; i < sent.size(); ++i) EXPECT_EQ(sent[i][1], i % 2 == 1 ? 0x7B : 0x5B) << i;
    // telegrams are distinct (no stale repeat): access numbers count up
    const auto a0 = mbus::decode_or_throw(out.telegrams[0].frame).header.access_number;
    const auto a1 = mbus::decode_or_throw(out.telegrams[1].frame).header.access_number;
    EXPECT_EQ(static_cast<std::uint8_t>(a0 + 1), a1);
}

TEST(Master, ReadLimitTruncates) {
    Rig r(file("obis/table6-all-rows.readout"));
    r.m.settings().multi_telegram_limit = 1;  // CMe3100 §6.25.3: multi telegrams disabled
    r.m.snd_nke(0);
    const auto out = r.m.read(0);
    EXPECT_EQ(out.telegrams.size(), 1u);
    EXPECT_TRUE(out.truncated);
}

TEST(Master, RetryRepeatsTheFcbAndGetsTheSameTelegram) {
    Rig r(file("obis/table6-all-rows.readout"));
    r.m.snd_nke(0);
    r.faults.corrupt = 1;  // the first reply arrives with a wrong checksum
    const auto out = r.m.read(0);
    EXPECT_EQ(r.m.counters().retries, 1u);
    const auto sent = r.sent();
    // NKE, 7B (corrupted reply), 7B again (retry with the same FCB: the slave repeats), then 5B …
    ASSERT_GE(sent.size(), 4u);
    EXPECT_EQ(sent[1][1], 0x7B);
    EXPECT_EQ(sent[2][1], 0x7B);
    EXPECT_EQ(sent[3][1], 0x5B);
    EXPECT_EQ(mbus::decode_or_throw(out.telegrams[0].frame).special, 0x1F);
}

TEST(Master, TimeoutIsNamedAndTheMasterStaysUsable) {
    Rig r;
    r.m.settings().readout_retries = 2;
    r.faults.drop = 3;  // three silent replies: the first try and both retries
    try {
        r.m.read(0);
        FAIL() << "expected a timeout";
    } catch (const master::MasterError& e) {
        EXPECT_EQ(e.name(), "timeout");
    }
    EXPECT_EQ(r.m.counters().timeouts, 3u);
    EXPECT_EQ(r.m.read(0).telegrams.size(), 1u);  // usable again
}

TEST(Master, ResponseTimeoutIsEn13757Limit) {
    Rig r;
    EXPECT_EQ(r.m.response_timeout(), std::chrono::microseconds(187500));  // 330000 / 2400 + 50 ms
    const TimePoint t0 = r.port.now();
    EXPECT_FALSE(r.m.snd_nke(77));  // nobody at 77
    const double nke_ms = 5 * 11000.0 / 2400;
    // the line's clock is exact, its now() to the µs: each end may be 0.5 µs off
    EXPECT_NEAR(to_ms(r.port.now() - t0), nke_ms + 187.5 + to_ms(r.m.settings().init_idle), 0.001);
}

TEST(Master, TransportFailureKeepsItsName) {
    Rig r;
    r.faults.fail_with = "connection_closed";
    try {
        r.m.read(0);
        FAIL();
    } catch (const master::PortError& e) {
        EXPECT_EQ(e.name(), "connection_closed");
    }
    EXPECT_EQ(r.m.read(0).telegrams.size(), 1u);
}

TEST(Master, SelectionBySecondaryAddressThenAddress253) {
    Rig r(file("obis/lgz-zmf100ac-m26.readout"), 5);
    // §6.7.7 mask: ID 20000003 LSB first, manufacturer/version/medium wildcards
    r.m.select_exact(mbus::SecondaryMask::parse("20000003"));
    EXPECT_EQ(r.sent()[0], (Bytes{0x68, 0x0B, 0x0B, 0x68, 0x53, 0xFD, 0x52, 0x03, 0x00, 0x00, 0x20, 0xFF, 0xFF,
                                  0xFF, 0xFF, 0xC1, 0x16}));  // 53+FD+52+03+20+4·FF = 0x5C1
    const auto out = r.m.read(253);
    EXPECT_EQ(mbus::decode_or_throw(out.telegrams[0].frame).header.id, 0x20000003u);
    // a wildcard that matches all five collides; one that matches none times out
    EXPECT_EQ(r.m.select(mbus::SecondaryMask::parse("2000000F")), master::SelectResult::collision);
    EXPECT_EQ(r.m.select(mbus::SecondaryMask::parse("3FFFFFFF")), master::SelectResult::none);
    try {
        r.m.select_exact(mbus::SecondaryMask::parse("2FFFFFFF"));
        FAIL();
    } catch (const master::MasterError& e) {
        EXPECT_EQ(e.name(), "collision");
    }
}

TEST(Master, BaudSwitchAckAtTheOldRateThenTalkAtTheNew) {
    Rig r;
    r.m.switch_baud(0, 9600);
    // §6.7.3: 68 03 03 68 53 00 BD 10 16 (53 + 00 + BD = 0x110 → 0x10)
    EXPECT_EQ(r.sent()[0], (Bytes{0x68, 0x03, 0x03, 0x68, 0x53, 0x00, 0xBD, 0x10, 0x16}));
    EXPECT_EQ(r.port.baud(), 9600u);
    EXPECT_EQ(r.bus.slave(0).baud(), 9600u);
    EXPECT_EQ(r.m.read(0).telegrams.size(), 1u);
    r.port.set_baud(2400);  // a master at the wrong rate gets nothing
    EXPECT_THROW(r.m.read(0), master::MasterError);
    EXPECT_THROW(r.m.switch_baud(0, 1234), std::invalid_argument);
}
