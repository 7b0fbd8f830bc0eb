// The receiver-stick codecs (rigs/include/metercert/rigs/sticks/) against byte sequences from
// independent public sources, each named at its test:
//  [AMB]  AMB8426-M/AMB8626-M manual V2.4 (the AMB8xx5-M command set), ch. 7, the printed
//         Format/Return/Example bytes (manualshive.com, pages 12–14, 16);
//  [AMBW] wmbusmeters src/wmbus_amb8465.cc: a real AMB8465's GET_REQ response quoted in
//         detectAMB8465AMB3665, and the asserted checksums of its requests (0xF4, 0x77, 0xEE);
//  [IOB]  ioBroker.wmbus lib/receiver/test/validation/{Imst,Amber}.init-*.json: the start-up
//         exchanges its receivers are tested against (its own CRC and XOR implementations);
//  [CRC]  the CRC catalogue's check value of CRC-16/X-25 ("123456789" → 0x906E);
//  [OMS]  vectors/wmbus/oms_annex_n.json tcId 1 and 2: OMS Vol. 2 Annex N.2.1 with and without
//         its CRCs.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../reference/testing/hex.hpp"
#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/sim_host.hpp"
#include "metercert/rigs/sticks/amb8465.hpp"
#include "metercert/rigs/sticks/emulator.hpp"
#include "metercert/rigs/sticks/im871a.hpp"
#include "metercert/rigs/wmbus_receiver.hpp"

namespace sticks = metercert::rigs::sticks;
namespace im = metercert::rigs::sticks::im871a;
namespace amb = metercert::rigs::sticks::amb8465;
using metercert::testing::hex;

namespace {

template <class F>
void expect_stick_error(F f, const std::string& name, std::size_t offset) {
    try {
        f();
        ADD_FAILURE() << "no StickError (expected " << name << ")";
    } catch (const sticks::StickError& e) {
        EXPECT_EQ(e.name(), name) << e.what();
        EXPECT_EQ(e.offset(), offset) << e.what();
    }
}

// ------------------------------------------------------------------------------------ iM871A

TEST(Im871a, CrcCheckValue) {  // [CRC]
    const std::string s = "123456789";
    EXPECT_EQ(im::crc16({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}), 0x906E);
}

TEST(Im871a, IoBrokerSetConfigFramesParse) {  // [IOB] Imst.init-T.json
    std::size_t used = 0;
    const auto req = hex("a5810306000300030800b8d6");
    const auto f = im::parse(req, used);
    ASSERT_TRUE(f);
    EXPECT_EQ(used, req.size());
    EXPECT_EQ(f->endpoint, im::kDevMgmt);
    EXPECT_EQ(f->msg, im::kSetConfigReq);
    EXPECT_TRUE(f->crc);
    EXPECT_EQ(f->payload, hex("000300030800"));
    // after the NVM byte: IIFlag1 03 → device mode 00, link mode 03 (T1); IIFlag2 08 → auto power saving 00
    const auto c = im::decode_config(std::span(f->payload).subspan(1));
    EXPECT_EQ(c.device_mode, 0);
    EXPECT_EQ(c.link_mode, 3);
    EXPECT_EQ(c.auto_power_saving, 0);
    EXPECT_FALSE(c.auto_rssi);
    EXPECT_EQ(im::radio_mode_of(*c.link_mode), sticks::RadioMode::t1);

    const auto rsp = hex("a58104009cf7");
    const auto r = im::parse(rsp, used);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->msg, im::kSetConfigRsp);
    EXPECT_TRUE(r->payload.empty());
}

TEST(Im871a, EncodeGivesTheSameCrcAsIoBroker) {  // [IOB]
    im::Frame f;
    f.msg = im::kSetConfigReq;
    f.payload = hex("000300030800");
    EXPECT_EQ(im::encode(f), hex("a5810306000300030800b8d6"));
}

TEST(Im871a, WmbusmetersRequestsWithoutCrc) {  // wmbusmeters ping / get device info: A5 01 01 00, A5 01 0F 00
    std::size_t used = 0;
    const auto f = im::parse(hex("a5010100"), used);
    ASSERT_TRUE(f);
    EXPECT_FALSE(f->crc);
    EXPECT_EQ(f->msg, im::kPingReq);
    EXPECT_EQ(used, 4u);
    EXPECT_EQ(im::parse(hex("a5010f00"), used)->msg, im::kGetDeviceInfoReq);
    // wmbusmeters deviceSetLinkModes: 00 02 <mode> 30 01 00 — temporary, link mode, RSSI on, timestamp off
    const auto c = im::decode_config(hex("0203300100"));
    EXPECT_EQ(c.link_mode, 3);
    EXPECT_EQ(c.auto_rssi, 1);
    EXPECT_EQ(c.auto_timestamp, 0);
}

TEST(Im871a, PartialFramesWaitForMore) {
    const auto whole = hex("a5810306000300030800b8d6");
    for (std::size_t n = 0; n < whole.size(); ++n) {
        std::size_t used = 0;
        EXPECT_FALSE(im::parse(std::span(whole).first(n), used)) << n;
    }
}

TEST(Im871a, MalformedFramesAreNamedWithTheirOffsets) {
    std::size_t used = 0;
    expect_stick_error([&] { im::parse(hex("ff810306"), used); }, "bad_sof", 0);
    expect_stick_error([&] { im::parse(hex("a5910100"), used); }, "reserved_bit", 1);
    expect_stick_error([&] { im::parse(hex("a5850100"), used); }, "unknown_message", 1);
    expect_stick_error([&] { im::parse(hex("a5014000"), used); }, "unknown_message", 2);
    expect_stick_error([&] { im::parse(hex("a5020900"), used); }, "unknown_message", 2);
    auto bad = hex("a5810306000300030800b8d6");
    bad[5] ^= 0x01;  // a payload bit flipped: the CRC (at offset 10) no longer matches
    expect_stick_error([&] { im::parse(bad, used); }, "bad_crc", 10);
    expect_stick_error([&] { (void)im::decode_config(hex("12")); }, "bad_payload", 5);
}

TEST(Im871a, IndicationCarriesTheTelegramFromItsCField) {
    // OMS N.2.1 without CRCs: L 2E; the stick's WMBUS_MSG_IND payload is the 0x2E bytes after L.
    const auto t = hex("2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3");
    const auto p = im::indication_payload(t);
    EXPECT_EQ(p.size(), 0x2Eu);
    EXPECT_EQ(p.front(), 0x44);
    EXPECT_EQ(im::telegram_of_indication(p), t);
}

TEST(Im871a, RssiFollowsIoBrokersLinearConversion) {  // [IOB] HciMessage.js: raw × 8/15 − 380/3
    EXPECT_EQ(im::rssi_dbm(0), -127);    // −126.67
    EXPECT_EQ(im::rssi_dbm(150), -47);   // 80 − 126.67 = −46.67
    EXPECT_EQ(im::rssi_dbm(255), 9);     // 136 − 126.67 = 9.33
    EXPECT_EQ(im::rssi_dbm(im::rssi_raw(-80)), -80);
}

TEST(Im871a, DeviceInfoLayout) {  // wmbusmeters DeviceInfo::decode: type, mode, firmware, HCI, UID LE
    const auto d = im::decode_device_info(hex("33001501 78563412"));
    EXPECT_EQ(d.module_type, 0x33);
    EXPECT_EQ(d.firmware, 0x15);
    EXPECT_EQ(d.uid, 0x12345678u);
    expect_stick_error([&] { (void)im::decode_device_info(hex("3300")); }, "bad_payload", 6);
}

// ------------------------------------------------------------------------------------ AMB8465

TEST(Amb8465, ManualRequestBytes) {  // [AMB] §7.3, 7.6–7.9, 7.11 and [AMBW] asserted checksums
    EXPECT_EQ(amb::encode({amb::kResetReq, {}}), hex("FF 05 00 FA"));
    EXPECT_EQ(amb::encode({amb::kSetChannelReq, {0x0B}}), hex("FF 06 01 0B F3"));
    EXPECT_EQ(amb::encode({amb::kGetReq, {0x00, 0x80}}), hex("FF 0A 02 00 80 77"));
    EXPECT_EQ(amb::encode({amb::kSerialNoReq, {}}), hex("FF 0B 00 F4"));
    EXPECT_EQ(amb::encode({amb::kFwvReq, {}}), hex("FF 0C 00 F3"));
    EXPECT_EQ(amb::encode({amb::kRssiReq, {}}), hex("FF 0D 00 F2"));
    EXPECT_EQ(amb::encode({amb::kFactoryResetReq, {}}), hex("FF 11 00 EE"));
}

TEST(Amb8465, ManualConfirmationsParse) {  // [AMB] §7.4 return, §7.8 example (version 2.0.6)
    std::size_t used = 0;
    const auto ch = amb::parse(hex("FF 86 01 0B 73"), used);
    ASSERT_TRUE(ch);
    EXPECT_EQ(ch->cmd, 0x86);
    EXPECT_EQ(ch->payload, hex("0B"));
    const auto fw = amb::parse(hex("FF 8C 03 02 00 06 74"), used);
    ASSERT_TRUE(fw);
    EXPECT_EQ(fw->payload, hex("020006"));
    EXPECT_EQ(used, 7u);
}

TEST(Amb8465, IoBrokerStartupExchange) {  // [IOB] Amber.init-T-cmdout.json, every frame both ways
    const char* frames[] = {"ff0c00f3",     "ff8c0301020370", "ff040108f2",   "ff8401007a",     "ff0a020501f3",
                            "ff8a0305010072", "ff0903050101f0", "ff89010077", "ff0500fa",       "ff8501007b",
                            "ff0a024501b3", "ff8a0345010133", "ff0a023f01c9", "ff8a033f010048"};
    for (const char* h : frames) {
        const auto b = hex(h);
        std::size_t used = 0;
        const auto f = amb::parse(b, used);
        ASSERT_TRUE(f) << h;
        EXPECT_EQ(used, b.size()) << h;
        EXPECT_EQ(amb::encode(*f), b) << h;
    }
    // SET_MODE_REQ 08 is T2-Other, the receive mode for T1 meters
    EXPECT_EQ(amb::encode({amb::kSetModeReq, {amb::mode_code(sticks::RadioMode::t1)}}), hex("ff040108f2"));
}

TEST(Amb8465, RealStickParameterMemory) {  // [AMBW] FF 8A 7A 00 78 … 17 from a real AMB8465
    auto frame = hex("FF8A7A0078");
    const auto params = amb::factory_parameters();
    ASSERT_EQ(params.size(), amb::kParameterBytes);
    frame.insert(frame.end(), params.begin(), params.end());
    frame.push_back(0x17);
    std::size_t used = 0;
    const auto f = amb::parse(frame, used);
    ASSERT_TRUE(f);  // the quoted checksum 0x17 is the XOR of the frame
    EXPECT_EQ(used, 0x7Eu);
    EXPECT_EQ(f->payload[2 + amb::kUartCmdOutEnable], 0x00);
    EXPECT_EQ(f->payload[2 + amb::kRssiEnable], 0x00);
    EXPECT_EQ(f->payload[2 + amb::kModePreselect], 0x03);
}

TEST(Amb8465, MalformedFramesAreNamedWithTheirOffsets) {
    std::size_t used = 0;
    expect_stick_error([&] { amb::parse(hex("A5 0C 00 F3"), used); }, "bad_sof", 0);
    expect_stick_error([&] { amb::parse(hex("FF 0C 00 F4"), used); }, "bad_checksum", 3);
    expect_stick_error([&] { amb::parse(hex("FF 8C 03 02 00 06 75"), used); }, "bad_checksum", 6);
    expect_stick_error([&] { amb::parse(hex("FF 7E 00 81"), used); }, "unknown_message", 1);
    EXPECT_FALSE(amb::parse(hex("FF 8C 03 02 00"), used));  // truncated so far: wait for more
    expect_stick_error([&] { (void)amb::decode_indication(hex("4493"), true); }, "bad_payload", 3);
    expect_stick_error([&] { amb::parse_transparent(hex("05 44 93 15"), false, used); }, "bad_payload", 0);
}

TEST(Amb8465, RssiPerTheManual) {  // [AMB] §7.9: ≥128: (v − 256)/2 − 74, else v/2 − 74
    EXPECT_EQ(amb::rssi_dbm(0x00), -74);
    EXPECT_EQ(amb::rssi_dbm(0x14), -64);   // 20/2 − 74
    EXPECT_EQ(amb::rssi_dbm(0x80), -138);  // (128 − 256)/2 − 74
    EXPECT_EQ(amb::rssi_dbm(0xC8), -102);  // (200 − 256)/2 − 74
    EXPECT_EQ(amb::rssi_dbm(amb::rssi_raw(-90)), -90);
}

TEST(Amb8465, DataIndicationLengthCountsTheRssi) {  // ERRATA E-70; ioBroker removeRssiFromPayload
    const auto t = hex("2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3");
    const auto p = amb::indication_payload(t, 0xC8);
    EXPECT_EQ(p.size(), 0x2Fu);
    const auto ind = amb::decode_indication(p, true);
    EXPECT_EQ(ind.telegram, t);
    EXPECT_EQ(ind.rssi, 0xC8);
    std::vector<std::uint8_t> transparent{static_cast<std::uint8_t>(p.size())};
    transparent.insert(transparent.end(), p.begin(), p.end());
    std::size_t used = 0;
    const auto tr = amb::parse_transparent(transparent, true, used);
    ASSERT_TRUE(tr);
    EXPECT_EQ(used, transparent.size());
    EXPECT_EQ(tr->telegram, t);
}

// ------------------------------------------------------------------------------------ shared

std::string oms_frame(int tc) {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/wmbus/oms_annex_n.json");
    const auto j = nlohmann::json::parse(in);
    for (const auto& g : j.at("testGroups"))
        for (const auto& t : g.at("tests"))
            if (t.at("tcId") == tc) return t.at("frame");
    return {};
}

TEST(Sticks, StripFormatAGivesTheTelegramWithoutCrcs) {  // [OMS] N.2.1 with (tc 1) and without (tc 2) CRCs
    const auto with = hex(oms_frame(1));
    const auto without = hex(oms_frame(2));
    ASSERT_FALSE(with.empty());
    EXPECT_EQ(sticks::strip_format_a(with), without);
    auto bad = with;
    bad[15] ^= 0x10;
    EXPECT_FALSE(sticks::strip_format_a(bad));
    EXPECT_FALSE(sticks::strip_format_a(std::span(with).first(with.size() - 1)));
}

TEST(Sticks, ModeNames) {
    EXPECT_EQ(sticks::radio_mode_from_name("t1"), sticks::RadioMode::t1);
    EXPECT_EQ(sticks::radio_mode_from_name("C1"), sticks::RadioMode::c1);
    EXPECT_FALSE(sticks::radio_mode_from_name("T2"));
}

// ------------------------------------------------------------------------------------ emulation

TEST(Emulator, Im871aAnswersWmbusmetersStartup) {
    auto e = sticks::make_emulator("im871a", sticks::RadioMode::t1);
    // wmbusmeters pings without a CRC (A5 01 01 00): PING_RSP without one (ERRATA E-72)
    EXPECT_EQ(e->on_host_bytes(hex("a5010100")), hex("a5010200"));
    std::size_t used = 0;
    const auto info = im::parse(e->on_host_bytes(hex("a5010f00")), used);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->msg, im::kGetDeviceInfoRsp);
    EXPECT_EQ(im::decode_device_info(info->payload).module_type, 0x33);  // what wmbusmeters' detection reads as iM871A
    // ioBroker's SET_CONFIG (with CRC): a SET_CONFIG_RSP with CRC, status 0
    const auto set = im::parse(e->on_host_bytes(hex("a5810306000300030800b8d6")), used);
    ASSERT_TRUE(set);
    EXPECT_EQ(set->msg, im::kSetConfigRsp);
    EXPECT_TRUE(set->crc);
    EXPECT_EQ(set->payload, hex("00"));
    EXPECT_TRUE(e->hears_module());
    // a DEVMGMT request it does not implement (GET_FWINFO 0x13): its response ID, status 0x01 (ERRATA E-72)
    EXPECT_EQ(e->on_host_bytes(hex("a5011300")), hex("a501140101"));
}

TEST(Emulator, Im871aIndicationIsTheOmsTelegramWithoutCrcs) {  // [OMS] tc 1 on air, tc 2 delivered
    auto e = sticks::make_emulator("im871a", sticks::RadioMode::t1);
    // wmbusmeters' set link mode: T1, auto RSSI on, timestamp off
    im::Frame set;
    set.msg = im::kSetConfigReq;
    set.payload = hex("00 02 03 30 01 00");
    set.crc = false;
    (void)e->on_host_bytes(im::encode(set));
    std::size_t used = 0;
    const auto ind = im::parse(e->on_air(hex(oms_frame(1)), -70), used);
    ASSERT_TRUE(ind);
    EXPECT_EQ(ind->endpoint, im::kRadioLink);
    EXPECT_EQ(ind->msg, im::kWmbusMsgInd);
    EXPECT_EQ(im::telegram_of_indication(ind->payload), hex(oms_frame(2)));
    ASSERT_TRUE(ind->rssi);
    EXPECT_EQ(im::rssi_dbm(*ind->rssi), -70);
    // C1a: the module's T1 telegrams are no longer heard
    set.payload = hex("00 02 06 00");
    (void)e->on_host_bytes(im::encode(set));
    EXPECT_FALSE(e->hears_module());
    EXPECT_TRUE(e->on_air(hex(oms_frame(1)), -70).empty());
}

TEST(Emulator, Amb8465AnswersIoBrokersStartupAndDeliversDataInd) {  // [IOB] Amber.init-T-cmdout.json requests
    auto e = sticks::make_emulator("amb8465", sticks::RadioMode::t1);
    EXPECT_EQ(e->on_host_bytes(hex("ff040108f2")), hex("ff8401007a"));          // set mode T2-Other: status 0
    EXPECT_EQ(e->on_host_bytes(hex("ff0903050101f0")), hex("ff89010077"));      // SET_REQ UART_CMD_Out_Enable 1: OK
    EXPECT_EQ(e->on_host_bytes(hex("ff0500fa")), hex("ff8501007b"));            // reset: OK
    EXPECT_EQ(e->on_host_bytes(hex("ff0a024501b3")), hex("ff8a0345010133"));    // RSSI_Enable = 1
    EXPECT_EQ(e->on_host_bytes(hex("ff0a023f01c9")), hex("ff8a033f010048"));    // auto sleep off
    EXPECT_TRUE(e->on_host_bytes(hex("ff0a023f01c8")).empty());                 // bad checksum: ignored
    std::size_t used = 0;
    const auto ind = amb::parse(e->on_air(hex(oms_frame(1)), -90), used);
    ASSERT_TRUE(ind);
    EXPECT_EQ(ind->cmd, amb::kDataInd);
    const auto d = amb::decode_indication(ind->payload, true);
    EXPECT_EQ(d.telegram, hex(oms_frame(2)));
    EXPECT_EQ(amb::rssi_dbm(*d.rssi), -90);
    // C2-Other does not hear T1; the mode is volatile: a reset returns to Mode_Preselect
    EXPECT_EQ(e->on_host_bytes(hex("ff04010ef4")), hex("ff8401007a"));
    EXPECT_TRUE(e->on_air(hex(oms_frame(1)), -90).empty());
    (void)e->on_host_bytes(hex("ff0500fa"));
    EXPECT_TRUE(e->hears_module());
}

TEST(Emulator, Amb8465TransparentAfterCmdOutDisabled) {
    auto e = sticks::make_emulator("amb8465", sticks::RadioMode::t1);
    EXPECT_EQ(e->on_host_bytes(amb::encode({amb::kSetReq, {amb::kUartCmdOutEnable, 0x01, 0x00}})), hex("ff89010077"));
    (void)e->on_host_bytes(hex("ff0500fa"));
    const auto b = e->on_air(hex(oms_frame(1)), -90);
    std::size_t used = 0;
    const auto t = amb::parse_transparent(b, true, used);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->telegram, hex(oms_frame(2)));
}

TEST(Emulator, GarbageIsSkippedAndUnknownSticksRejected) {
    auto e = sticks::make_emulator("amb8465", sticks::RadioMode::c1);
    EXPECT_EQ(e->on_host_bytes(hex("00 13 37 ff0c00f3")).size(), 7u);  // FWV confirmation after 3 junk bytes
    EXPECT_EQ(e->ignored(), 3u);
    EXPECT_THROW((void)sticks::make_emulator("cul", sticks::RadioMode::t1), std::invalid_argument);
}

// ------------------------------------------------------------------------------------ links
// wmbus+im871a:// and wmbus+amb8465:// on a pseudo-terminal, against a stick played by a
// SimHost in a thread: the emulation (whose telegram is OMS N.2.1 with CRCs; the link must give
// tc 2, without them), a silent stick, a stick that sends garbage.

namespace rigs = metercert::rigs;
const char* kKey = "000102030405060708090A0B0C0D0E0F";

class PtyStick {
public:
    // `answer`: what the stick sends back for the host's bytes; `air`: sent every 50 ms.
    PtyStick(std::function<std::vector<std::uint8_t>(std::span<const std::uint8_t>)> answer,
             std::function<std::vector<std::uint8_t>()> air = {})
        : path_(std::filesystem::temp_directory_path() / ("metercert-stick-" + std::to_string(::getpid()) + "-" + std::to_string(++n_))) {
        auto& pty = host_.open_pty(path_.string(), {.on_bytes = [this, answer](std::span<const std::uint8_t> b) {
                                           const auto r = answer(b);
                                           if (!r.empty()) pty_->send(r);
                                       }});
        pty_ = &pty;
        if (air)
            host_.every(50, [this, air] {
                const auto f = air();
                if (!f.empty()) pty_->send(f);
            });
        thread_ = std::thread([this] {
            while (!stop_) host_.run_once(10);
        });
    }
    ~PtyStick() {
        stop_ = true;
        thread_.join();
    }
    [[nodiscard]] std::string path() const { return path_.string(); }

private:
    static inline int n_ = 0;
    std::filesystem::path path_;
    rigs::SimHost host_;
    rigs::PtyEndpoint* pty_ = nullptr;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

void receives_oms_telegram(const std::string& kind) {
    auto emu = sticks::make_emulator(kind, sticks::RadioMode::t1);
    const auto wire = hex(oms_frame(1));
    PtyStick stick([&](auto b) { return emu->on_host_bytes(b); }, [&] { return emu->on_air(wire, -60); });
    rigs::MemoryTap tap;
    const std::string url = "wmbus+" + kind + "://" + stick.path() + "?mode=T1&key=" + kKey;
    auto link = rigs::open_link(url, {.tap = &tap});
    EXPECT_EQ(link->url().find(kKey), std::string::npos) << link->url();
    EXPECT_EQ(link->description().find(kKey), std::string::npos) << link->description();
    EXPECT_TRUE(link->has("wmbus.receive"));
    auto& rx = link->require_wmbus_receive("test");
    const auto t0 = rx.now();
    const auto t = rx.receive(std::chrono::seconds(2));
    ASSERT_TRUE(t);
    EXPECT_EQ(t->frame, hex(oms_frame(2)));
    EXPECT_EQ(t->crc, metercert::wmbus::CrcFormat::none);
    EXPECT_EQ(t->mode, "T1");
    ASSERT_TRUE(t->rssi_dbm);
    EXPECT_NEAR(*t->rssi_dbm, -60, 1);
    ASSERT_TRUE(t->at);
    EXPECT_GE(*t->at, t0);
    ASSERT_FALSE(tap.records.empty());
    EXPECT_EQ(tap.records.front().link, rigs::LinkKind::wmbus);
    EXPECT_EQ(tap.records.front().direction, rigs::Direction::from_dut);
    EXPECT_EQ(tap.records.front().bytes, t->frame);
    const auto second = rx.receive(std::chrono::seconds(2));
    ASSERT_TRUE(second);
    EXPECT_GT(*second->at, *t->at);
    link->close();
}

TEST(StickLink, Im871aReceivesTheTelegramWithoutCrcs) { receives_oms_telegram("im871a"); }
TEST(StickLink, Amb8465ReceivesTheTelegramWithoutCrcs) { receives_oms_telegram("amb8465"); }

template <class F>
void expect_port_error(F f, const std::string& name, const std::string& must_say) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
        f();
        ADD_FAILURE() << "no PortError (expected " << name << ")";
    } catch (const metercert::master::PortError& e) {
        EXPECT_EQ(e.name(), name) << e.what();
        EXPECT_NE(std::string(e.what()).find(must_say), std::string::npos) << e.what();
        EXPECT_EQ(std::string(e.what()).find(kKey), std::string::npos) << e.what();
    }
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST(StickLink, ASilentStickIsNamedNotAHang) {
    for (const std::string kind : {"im871a", "amb8465"}) {
        PtyStick stick([](auto) { return std::vector<std::uint8_t>{}; });
        expect_port_error([&] { rigs::open_link("wmbus+" + kind + "://" + stick.path() + "?timeout=300&key=" + kKey); },
                          "stick_silent", "within 300 ms");
    }
}

TEST(StickLink, GarbageFromTheStickIsAProtocolErrorWithItsOffset) {
    {
        PtyStick stick([](auto) { return hex("a5 01 02 00 a5 91 00 00"); });  // a PING_RSP, then a reserved bit
        expect_port_error([&] { rigs::open_link("wmbus+im871a://" + stick.path()); }, "stick_protocol", "reserved_bit at byte 1");
    }
    {
        PtyStick stick([](auto) { return hex("FF 8C 03 02 00 06 75"); });  // the manual's FWV confirmation, checksum off by one
        expect_port_error([&] { rigs::open_link("wmbus+amb8465://" + stick.path()); }, "stick_protocol", "bad_checksum at byte 6");
    }
}

TEST(StickLink, UrlErrorsNeverShowTheKey) {
    for (const char* bad : {"?key=00112233", "?mode=X1&key=000102030405060708090A0B0C0D0E0F", "?colour=red&key=000102030405060708090A0B0C0D0E0F"}) {
        try {
            (void)rigs::check_link(std::string("wmbus+im871a:///dev/ttyUSB9") + bad);
            ADD_FAILURE() << bad;
        } catch (const rigs::DutError& e) {
            EXPECT_EQ(std::string(e.what()).find("00112233"), std::string::npos) << e.what();
            EXPECT_EQ(std::string(e.what()).find(kKey), std::string::npos) << e.what();
        }
    }
    EXPECT_EQ(rigs::check_link("wmbus+amb8465:///dev/ttyUSB9?mode=C1").capabilities, std::vector<std::string>{"wmbus.receive"});
}

}  // namespace
