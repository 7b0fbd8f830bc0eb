// CMi1020 reference slave: behaviour checked against the manual's byte tables (CMi1020 Users
// Manual §6.7) and the real E350 readout; expected bytes are written out by hand here.
#include "metercert/devices/cmi1020.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"

using namespace metercert::devices;
using metercert::mbus::build_long;
using metercert::mbus::build_short;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::string file(const std::string& rel) {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/" + rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

const Bytes kAck{0xE5};

struct Rig {
    E350 meter{file("obis/lgz-zmf100ac-m26.readout")};
    Cmi1020 slave{Cmi1020Config{0x12345678, 0x01, "1.2.0", 0x02}, meter};
    Rig() { slave.advance_to(metercert::TimePoint{std::chrono::milliseconds(2000)}); }  // first readout
    std::optional<Bytes> send(const Bytes& f) { return slave.on_frame(f); }
    std::optional<Bytes> snd_ud(std::uint8_t a, std::uint8_t ci, Bytes ud) { return send(build_long(0x53, a, ci, ud)); }
    metercert::mbus::Telegram req(std::uint8_t c, std::uint8_t a) {
        auto r = send(build_short(c, a));
        EXPECT_TRUE(r);
        return metercert::mbus::decode_or_throw(r ? *r : Bytes{0xE5});
    }
};

}  // namespace

TEST(Cmi1020, SndNkeAcknowledged) {
    Rig r;
    // §6.7.1: 10 40 A CS 16 → E5
    EXPECT_EQ(r.send({0x10, 0x40, 0x00, 0x40, 0x16}), kAck);
    EXPECT_EQ(r.send({0x10, 0x40, 0x05, 0x45, 0x16}), std::nullopt);  // not our address (0)
    EXPECT_EQ(r.send({0x10, 0x40, 0xFF, 0x3F, 0x16}), std::nullopt);  // 255: executed, no reply
}

TEST(Cmi1020, RspUdOfTheRealE350) {
    Rig r;
    const auto t = r.req(0x5B, 0);
    // §6.7.2.2: C = 08, CI = 72, ELV, Table 4: C.1.0 13647123 is the ID (0.0 is not 8 digits)
    EXPECT_EQ(t.c.raw, 0x08);
    EXPECT_EQ(t.ci, 0x72);
    EXPECT_EQ(t.header.id, 0x13647123u);
    EXPECT_EQ(t.header.manufacturer, 0x1596);
    EXPECT_EQ(t.header.version, 0x01);
    EXPECT_EQ(t.header.status, 0x00);
    EXPECT_EQ(t.header.signature, 0);
    EXPECT_EQ(t.special, 0x0F);  // the E350's 20 records fit one telegram
    ASSERT_EQ(t.records.size(), 5u + 20u);
    // Table 5 first: FD1A 0x54 (EEPROM on, push on/off enabled, actual unknown before the pulse)
    EXPECT_EQ(t.span(t.records[0].raw).size(), 4u);
    EXPECT_EQ(t.bytes[t.records[0].raw.off + 3], 0x54);
    EXPECT_EQ(t.records[2].number.mantissa, 0);  // FD17: no error flags after a good readout
    EXPECT_EQ(std::string(t.text(t.records[3].data)), "0.2.1");  // "1.2.0" sent reversed
    EXPECT_EQ(t.records[4].number.mantissa, 12345678);           // fabrication number, BCD8
    // then the E350 in readout order: F.F, C.1.0, 1.8.1 …
    EXPECT_EQ(t.records[5].meaning.quantity, "error_flags");
    EXPECT_EQ(t.records[7].value.to_string(), "42951721");
    EXPECT_EQ(t.records[7].tariff, 1u);
}

TEST(Cmi1020, MultiTelegramWithFcb) {
    E350 meter(file("obis/table6-all-rows.readout"));
    Cmi1020 s(Cmi1020Config{0x12345678, 1, "1.2.0", 2}, meter);
    s.advance_to(metercert::TimePoint{std::chrono::milliseconds(2000)});
    const auto first = metercert::mbus::decode_or_throw(*s.on_frame(build_short(0x7B, 0)));  // FCB 1, FCV 1
    EXPECT_EQ(first.special, 0x1F);
    EXPECT_EQ(first.header.id, 0x12345678u);  // 0.0(12345678): 8 digits
    EXPECT_EQ(first.records[0].meaning.quantity, "digital_output");  // Table 5 data on the first only
    // untoggled FCB: the same telegram again, byte for byte
    const auto again = *s.on_frame(build_short(0x7B, 0));
    EXPECT_EQ(again, first.bytes);
    // toggled FCB: the next telegram, no Table 5 data, access number + 1
    const auto second = metercert::mbus::decode_or_throw(*s.on_frame(build_short(0x5B, 0)));
    EXPECT_NE(second.records[0].meaning.quantity, "digital_output");
    EXPECT_EQ(second.header.access_number, static_cast<std::uint8_t>(first.header.access_number + 1));
    std::size_t total = first.records.size() + second.records.size();
    auto last = second;
    std::uint8_t c = 0x7B;
    while (last.special == 0x1F) {
        last = metercert::mbus::decode_or_throw(*s.on_frame(build_short(c, 0)));
        c = c == 0x7B ? 0x5B : 0x7B;
        total += last.records.size();
    }
    EXPECT_EQ(last.special, 0x0F);
    EXPECT_EQ(total, 5u + 67u);  // Table 5 + every Table 6 row but the header row
    // SND_NKE restarts the sequence
    EXPECT_EQ(s.on_frame(build_short(0x40, 0)), kAck);
    EXPECT_EQ(metercert::mbus::decode_or_throw(*s.on_frame(build_short(0x5B, 0))).special, 0x1F);
}

TEST(Cmi1020, SetPrimaryAddress) {
    Rig r;
    // §6.7.5: 68 06 06 68 53 A 51 01 7A nn CS 16
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x01, 0x7A, 0x05}), kAck);
    EXPECT_EQ(r.slave.settings().primary_address, 5);
    EXPECT_EQ(r.send(build_short(0x5B, 0)), std::nullopt);
    EXPECT_TRUE(r.send(build_short(0x5B, 5)));
    EXPECT_EQ(r.snd_ud(5, 0x51, {0x01, 0x7A, 0xFB}), std::nullopt);  // 0xFB is outside 0x00–0xFA
    EXPECT_EQ(r.slave.rejected(), 1u);
}

TEST(Cmi1020, SetSecondaryAddressAndSelectWithWildcards) {
    Rig r;
    // §6.7.6: 0C 79 + 4 bytes packed BCD
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0C, 0x79, 0x21, 0x43, 0x65, 0x87}), kAck);
    EXPECT_EQ(r.slave.secondary_address(), 0x87654321u);
    // §6.7.7: selection to 253 with ID 8765432F (last digit wildcard), ELV, any generation, medium 00
    EXPECT_EQ(r.snd_ud(253, 0x52, {0xF1, 0x43, 0x65, 0x87, 0x96, 0x15, 0xFF, 0x00}), kAck);
    EXPECT_TRUE(r.slave.selected());
    EXPECT_EQ(r.req(0x5B, 253).header.id, 0x87654321u);
    // a mismatch deselects, silently
    EXPECT_EQ(r.snd_ud(253, 0x52, {0x22, 0x43, 0x65, 0x87}), std::nullopt);
    EXPECT_FALSE(r.slave.selected());
    EXPECT_EQ(r.send(build_short(0x5B, 253)), std::nullopt);
    // masks of 0..8 bytes except 5; manufacturer wildcard FF FF; wrong manufacturer
    EXPECT_EQ(r.snd_ud(253, 0x52, {}), kAck);
    EXPECT_EQ(r.snd_ud(253, 0x52, {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}), kAck);
    EXPECT_EQ(r.snd_ud(253, 0x52, {0xFF, 0xFF, 0xFF, 0xFF, 0xA7, 0x32}), std::nullopt);
    EXPECT_EQ(r.snd_ud(253, 0x52, {0xFF, 0xFF, 0xFF, 0xFF, 0x96}), std::nullopt);  // 5 bytes: invalid
    EXPECT_EQ(r.snd_ud(253, 0x52, {0xFF, 0xFF, 0xFF, 0xFF, 0x96, 0x15, 0xFF, 0x02}), kAck);  // medium 02
    EXPECT_EQ(r.snd_ud(253, 0x52, {0xFF, 0xFF, 0xFF, 0xFF, 0x96, 0x15, 0xFF, 0x07}), std::nullopt);
    // the address is not BCD: rejected
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0C, 0x79, 0x2A, 0x43, 0x65, 0x87}), std::nullopt);
}

TEST(Cmi1020, SndNkeTo253EndsTheSelection) {
    Rig r;
    EXPECT_EQ(r.snd_ud(253, 0x52, {0x78, 0x56, 0x34, 0x12}), std::nullopt);  // ID is 13647123 (meter)
    EXPECT_EQ(r.snd_ud(253, 0x52, {0x23, 0x71, 0x64, 0x13}), kAck);
    EXPECT_EQ(r.send(build_short(0x40, 253)), kAck);
    EXPECT_FALSE(r.slave.selected());
}

TEST(Cmi1020, BaudSwitchAckAtOldRate) {
    Rig r;
    EXPECT_EQ(r.slave.baud(), 2400u);
    // §6.7.3: 68 03 03 68 53 A B8 CS 16 → E5, then 300 Bd
    EXPECT_EQ(r.send({0x68, 0x03, 0x03, 0x68, 0x53, 0x00, 0xB8, 0x0B, 0x16}), kAck);
    EXPECT_EQ(r.slave.baud(), 300u);
    EXPECT_EQ(r.snd_ud(0, 0xBE, {}), kAck);  // BE/BF: ACK, no change
    EXPECT_EQ(r.slave.baud(), 300u);
    EXPECT_EQ(r.snd_ud(0, 0xBB, {}), kAck);
    EXPECT_EQ(r.slave.baud(), 2400u);
}

TEST(Cmi1020, ApplicationResetAndFactoryDefaults) {
    Rig r;
    r.snd_ud(0, 0x51, {0x01, 0x7A, 0x09});
    r.snd_ud(9, 0x51, {0x0F, 0x03, 0x02});  // rate 2
    // §6.7.4 with sub-code B0: §8.2 factory defaults (primary address 0, rate disabled, …)
    EXPECT_EQ(r.snd_ud(9, 0x50, {0xB0}), kAck);
    EXPECT_EQ(r.slave.settings().primary_address, 0);
    EXPECT_EQ(r.slave.settings().rate, 0);
    EXPECT_EQ(r.slave.settings().p1, "88888888");
    EXPECT_EQ(r.snd_ud(0, 0x50, {0xB1}), std::nullopt);  // unknown sub-code
}

TEST(Cmi1020, ErrorFlagsUnderMeterFaults) {
    // Table 5 FD17 bits and the status byte rule of §6.7.2.2 (0x12 without meter communication)
    struct Case {
        MeterFault fault;
        std::uint32_t bit;
    };
    for (const Case c : {Case{MeterFault::no_meter, 1u << 0}, Case{MeterFault::id_receive_error, 1u << 1},
                         Case{MeterFault::unexpected_id_char, 1u << 2}, Case{MeterFault::readout_timeout, 1u << 3},
                         Case{MeterFault::receive_error, 1u << 4}}) {
        Rig r;
        r.slave.advance_to(metercert::TimePoint{std::chrono::milliseconds(10000)});  // the disconnector pulse is done before the fault
        r.meter.fault = c.fault;
        r.slave.advance_to(metercert::TimePoint{std::chrono::milliseconds(32000)});  // next readout
        EXPECT_EQ(r.slave.error_flags(), c.bit | (1u << 8)) << meter_fault_name(c.fault);
        const auto t = r.req(0x5B, 0);
        EXPECT_EQ(t.header.status, 0x12);
        EXPECT_EQ(t.records[2].number.mantissa, static_cast<metercert::mbus::i128>(c.bit | (1u << 8)));
        // the meter recovers: status clears at once, the flags stay latched until cleared
        r.meter.fault = MeterFault::none;
        r.slave.advance_to(metercert::TimePoint{std::chrono::milliseconds(62000)});
        EXPECT_EQ(r.slave.status_byte(), 0x00);
        EXPECT_EQ(r.slave.error_flags(), c.bit | (1u << 8));
        EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x04}), kAck);  // §6.7.13
        EXPECT_EQ(r.slave.error_flags(), 0u);
    }
}

TEST(Cmi1020, NoMeterAlsoFailsTheDisconnectorSignOn) {
    Rig r;
    r.meter.fault = MeterFault::no_meter;
    r.slave.advance_to(metercert::TimePoint{std::chrono::milliseconds(10000)});  // the pulse after power-on cannot sign on: bit 23
    EXPECT_EQ(r.slave.error_flags() & Cmi1020::kSignOnError, Cmi1020::kSignOnError);
    EXPECT_EQ(r.slave.disconnector_status() & 3, 0);  // still unknown
}

TEST(Cmi1020, NotPolledUntilTheFirstReadout) {
    E350 meter(file("obis/lgz-zmf100ac-m26.readout"));
    Cmi1020 s(Cmi1020Config{0x12345678, 1, "1.2.0", 2}, meter);
    EXPECT_EQ(s.error_flags(), 1u << 5);
    EXPECT_EQ(s.status_byte(), 0x12);
    EXPECT_EQ(s.secondary_address(), 0x12345678u);  // Table 4: factory default = serial number
    s.advance_to(metercert::TimePoint{std::chrono::milliseconds(2000)});
    EXPECT_EQ(s.error_flags(), 0u);
    EXPECT_EQ(s.secondary_address(), 0x13647123u);
}

TEST(Cmi1020, DisconnectorPulseAfterCapacitorCharge) {
    Rig r;
    EXPECT_EQ(r.slave.disconnector_status() & 3, 0);  // unknown after power-on
    r.slave.advance_to(metercert::TimePoint{std::chrono::milliseconds(10000)});
    EXPECT_EQ(r.slave.disconnector_status(), 0x55);  // pulsed to EEPROM "on"
    ASSERT_FALSE(r.meter.executed.empty());
    EXPECT_EQ(r.meter.executed.back().code, 0xFF21);
    // §6.7.8: 01 FD 1A 0x80 = EEPROM off, leave the push-button settings
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x01, 0xFD, 0x1A, 0x80}), kAck);
    EXPECT_EQ(r.slave.disconnector_status(), 0x95);  // capacitor still charging: actual still on
    r.slave.advance_to(metercert::TimePoint{std::chrono::milliseconds(20000)});
    EXPECT_EQ(r.slave.disconnector_status(), 0x96);
    EXPECT_EQ(r.meter.disconnector_closed, false);
    // push-button off disabled (bits 3..2 = 10), nothing else
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x01, 0xFD, 0x1A, 0x08}), kAck);
    EXPECT_EQ(r.slave.disconnector_status(), 0x9A);
}

TEST(Cmi1020, ElvacoCommandsReachTheMeter) {
    Rig r;
    // §6.7.9 P1 password, then §6.7.11 rate 3 signs on with it
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x01, '1', '2', '3', '4', '5', '6', '7', '8'}), kAck);
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x03, 0x03}), kAck);
    EXPECT_EQ(r.slave.error_flags() & Cmi1020::kSignOnError, Cmi1020::kSignOnError);  // meter still has 88888888
    r.meter.p1_password = "12345678";
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x03, 0x03}), kAck);
    EXPECT_EQ(r.meter.rate, 3);
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x03, 0x07}), std::nullopt);  // 7 is not a rate
    // §6.7.12 rate mapping (L = 9, ERRATA) and inputs
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x00, 4, 3, 2, 1}), kAck);
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x03, 0xFF}), kAck);
    EXPECT_EQ(r.meter.rate, 4);  // B = 0, A = 0 → first entry
    r.slave.set_rate_inputs(true, false);
    EXPECT_EQ(r.meter.rate, 3);
    // §6.7.16 LCD value: index, mantissa LSB first, format → meter command 0xFF22 with the fields
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x22, 0x01, 0x78, 0x56, 0x34, 0x12, 0x03}), kAck);
    EXPECT_EQ(r.meter.executed.back().code, 0xFF22);
    EXPECT_EQ(r.meter.executed.back().fields, (Bytes{0x01, 0x78, 0x56, 0x34, 0x12, 0x03}));
    // §6.7.22 text: index, timeout, "HELLO\r"
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x28, 0x02, 0x0A, 'H', 'E', 'L', 'L', 'O', '\r'}), kAck);
    EXPECT_EQ(r.meter.executed.back().code, 0xFF28);
    // §6.7.15 sign-on method: bit 3 (0xFF22) uses P2
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x06, 0x08, 0x00}), kAck);
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x22, 0x01, 0, 0, 0, 0, 0}), kAck);
    EXPECT_EQ(r.meter.executed.back().method, SignOn::p2);
    // a failing LCD command sets its bit (0xFF22 → bit 11)
    r.meter.fault = MeterFault::command_failure;
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x22, 0x01, 0, 0, 0, 0, 0}), kAck);
    EXPECT_TRUE(r.slave.error_flags() & (1u << 11));
}

TEST(Cmi1020, ObisSelectionListFiltersRecords) {
    Rig r;
    // §6.7.14: clear bit 1 (1.8.1) and bit 53 (F.F)
    Bytes mask{0x0F, 0x05, 0xFD, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xDF, 0xFF, 0xFF, 0xFF};
    EXPECT_EQ(r.snd_ud(0, 0x51, mask), kAck);
    EXPECT_EQ(r.req(0x5B, 0).records.size(), 5u + 18u);
}

TEST(Cmi1020, BadFramesGetNoReplyAndAreCounted) {
    Rig r;
    EXPECT_EQ(r.send({0x10, 0x40, 0x00, 0x41, 0x16}), std::nullopt);  // checksum
    EXPECT_EQ(r.send({0x68, 0x03, 0x04, 0x68, 0x53, 0x00, 0xB8, 0x0B, 0x16}), std::nullopt);  // L-fields
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x0F, 0x77}), std::nullopt);  // unknown Elvaco command
    EXPECT_EQ(r.slave.rejected(), 3u);
}

TEST(Cmi1020, SettingsSurviveAPowerCycle) {
    Rig r;
    r.snd_ud(0, 0x51, {0x01, 0x7A, 0x11});
    r.snd_ud(0x11, 0x51, {0x0C, 0x79, 0x01, 0x00, 0x00, 0x99});
    r.snd_ud(0x11, 0x51, {0x0F, 0x03, 0x05});
    const std::string state = r.slave.state_json();
    E350 meter(file("obis/lgz-zmf100ac-m26.readout"));
    Cmi1020 fresh(Cmi1020Config{0x12345678, 1, "1.2.0", 2}, meter);
    fresh.load_state(state);
    EXPECT_EQ(fresh.settings().primary_address, 0x11);
    EXPECT_EQ(fresh.secondary_address(), 0x99000001u);
    EXPECT_EQ(fresh.settings().rate, 5);
    EXPECT_THROW(fresh.load_state("{\"schema\": 3}"), std::runtime_error);
    EXPECT_THROW(fresh.load_state("not json"), std::runtime_error);
}

// The slave's own deadlines on the one clock (metercert/time.hpp): the first meter readout 2 s
// after power-on (Cmi1020Config::first_readout), the disconnector pulse once the drive
// capacitor has charged (~10 s, §5.3), then a readout every 30 s (§5.2.2).
TEST(Cmi1020, NextDeadlineFollowsReadoutsAndThePulse) {
    using metercert::TimePoint;
    using std::chrono::seconds;
    E350 meter(file("obis/lgz-zmf100ac-m26.readout"));
    Cmi1020 s(Cmi1020Config{0x12345678, 1, "1.2.0", 2}, meter);
    EXPECT_EQ(s.next_deadline(), TimePoint{seconds(2)});   // first readout
    s.advance_to(TimePoint{seconds(1)});
    EXPECT_EQ(s.error_flags(), 1u << 5);                    // nothing ran before its deadline
    s.advance_to(TimePoint{seconds(2)});
    EXPECT_EQ(s.error_flags(), 0u);
    EXPECT_EQ(s.next_deadline(), TimePoint{seconds(10)});  // the pulse, before the readout at 32 s
    s.advance_to(TimePoint{seconds(10)});
    EXPECT_EQ(s.next_deadline(), TimePoint{seconds(32)});
    s.advance_to(TimePoint{seconds(40)});
    EXPECT_EQ(s.next_deadline(), TimePoint{seconds(62)});
    s.power_cycle();                                        // at 40 s: first readout 2 s later
    EXPECT_EQ(s.next_deadline(), TimePoint{seconds(42)});
}

namespace {
metercert::TimePoint at_s(double s) { return metercert::TimePoint{std::chrono::milliseconds(static_cast<long>(s * 1000))}; }
}  // namespace

// §5.3 / §7.3: a press toggles the disconnector, not while the capacitor charges (~10 s after
// power-on or the last pulse); FD1A (Table 5): bits 7–6 EEPROM 01 on / 10 off, 5–4 and 3–2 the
// push-buttons 01 enabled, 1–0 actual 01 on / 10 off / 00 unknown.
TEST(Cmi1020, ButtonTogglesOutsideTheCapacitorLock) {
    Rig r;
    r.slave.press_button();  // 2 s: still charging since power-on
    r.slave.release_button();
    EXPECT_EQ(r.slave.disconnector_status(), 0x54);  // unknown until pulsed
    r.slave.advance_to(at_s(10));                    // pulsed "on" at 10 s; charging again until 20 s
    EXPECT_EQ(r.slave.disconnector_status(), 0x55);
    r.slave.advance_to(at_s(15));
    r.slave.press_button();
    r.slave.release_button();
    EXPECT_EQ(r.slave.disconnector_status(), 0x55);  // within the lock: ignored
    r.slave.advance_to(at_s(21));
    r.slave.press_button();
    EXPECT_EQ(r.slave.disconnector_status(), 0x96);  // EEPROM off, actual off (ERRATA E-108)
    EXPECT_EQ(r.meter.disconnector_closed, std::optional<bool>(false));
    r.slave.release_button();
    r.slave.advance_to(at_s(25));
    r.slave.press_button();
    r.slave.release_button();
    EXPECT_EQ(r.slave.disconnector_status(), 0x96);
    r.slave.advance_to(at_s(31));  // the ignored press is not kept for later
    EXPECT_EQ(r.slave.disconnector_status(), 0x96);
    r.slave.press_button();
    r.slave.release_button();
    EXPECT_EQ(r.slave.disconnector_status(), 0x55);
}

// §6.7.8: push-button turn-off disabled (control byte bits 3–2 = 10): a press leaves it on.
TEST(Cmi1020, ButtonHonoursThePushButtonEnable) {
    Rig r;
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x01, 0xFD, 0x1A, 0x08}), kAck);
    r.slave.advance_to(at_s(25));
    EXPECT_EQ(r.slave.disconnector_status(), 0x59);
    r.slave.press_button();
    r.slave.release_button();
    EXPECT_EQ(r.slave.disconnector_status(), 0x59);
}

// §5.4: held on power-up for 10 s, then released: the §8.2 defaults and a restart; shorter: nothing.
TEST(Cmi1020, HoldOnPowerUpResetsToFactoryDefaults) {
    Rig r;
    EXPECT_EQ(r.snd_ud(0, 0x51, {0x01, 0x7A, 42}), kAck);
    r.slave.advance_to(at_s(40));
    r.slave.press_button();
    r.slave.power_cycle();
    r.slave.advance_to(at_s(49.9));
    r.slave.release_button();
    EXPECT_EQ(r.slave.settings().primary_address, 42);
    r.slave.advance_to(at_s(60));
    r.slave.power_cycle();
    r.slave.press_button();  // pressed as the power returns: held on power-up too
    r.slave.advance_to(at_s(70));
    EXPECT_EQ(r.slave.settings().primary_address, 42);  // nothing until the release
    r.slave.release_button();
    EXPECT_EQ(r.slave.settings().primary_address, 0);
    EXPECT_EQ(r.slave.error_flags() & Cmi1020::kNotPolled, Cmi1020::kNotPolled);  // restarted
    r.slave.advance_to(at_s(100));
    EXPECT_EQ(r.slave.settings().primary_address, 0);
    EXPECT_EQ(r.slave.disconnector_status(), 0x55);
}
