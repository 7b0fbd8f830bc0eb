// CMe3100 with wireless meters (§6.5.2 esecondary Meter List, §6.15 key file): telegrams a
// Wireless M-Bus Receiver delivers are matched to installed meters, decrypted with the key file's
// key and stored like wired readouts. The telegrams and keys are the OMS Vol. 2 Annex N examples
// as published (vectors/wmbus/oms_annex_n.json cites the copies); the values expected are those
// the example states (volume 28504.27 m³, 2008-05-31 23:50, error flags 0).
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "metercert/devices/cme3100/gateway.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"
#include "../../testing/hex.hpp"

using namespace metercert;
using namespace metercert::devices::cme3100;
using metercert::testing::hex;

namespace {

// N.2.1: ELS gas meter 12345678 v51, mode 5, access number 0x2A, format A (with its CRCs)
const std::string kN21 =
    "2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A";
const std::string kN21Key = "0102030405060708090A0B0C0D0E0F11";
const std::string kListHeader = "Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n";
const auto kNow = std::chrono::sys_seconds{std::chrono::seconds(1764115200)};  // 2025-11-26T00:00:00Z

std::vector<KeyEntry> keys(const std::string& rows) {
    auto imp = import_key_file("Address,Key,Manufacturer,DeviceType,Version\n" + rows);
    EXPECT_TRUE(imp.errors.empty());
    return imp.keys;
}

}  // namespace

TEST(Wireless, AnInstalledMeterWithItsKeyIsDecryptedAndStored) {
    Gateway g(":memory:");
    g.install_meter_list(kListHeader + "Boiler room,12345678,2400,esecondary,,\n");
    g.install_keys(keys("12345678," + kN21Key + ",ELS,3,51\n"));
    const auto r = g.receive_wireless(hex(kN21), wmbus::CrcFormat::automatic, kNow);
    EXPECT_EQ(wireless_outcome_name(r.outcome), "stored") << r.error;
    EXPECT_EQ(r.position, "Boiler room");
    EXPECT_EQ(r.id, 0x12345678u);
    EXPECT_EQ(r.records, 3u);  // volume, date and time, error flags (the 2F fillers are none)
    EXPECT_EQ(g.record_count(), 3u);
    const std::string report = g.commission_report();
    // Status 1 (read), manufacturer ELS, version 51, medium 0x03 (gas) learnt from the telegram
    EXPECT_NE(report.find("Boiler room,12345678,esecondary,,no,ELS,51,0x03,1,2025-11-26T00:00:00Z,1,3,"), std::string::npos) << report;
    EXPECT_EQ(report.find("0102030405"), std::string::npos);

    // Virtual M-Bus serves it like a wired meter: selected by its secondary address, REQ_UD2 →
    // RSP_UD with CI 0x72, its long header (id, ELS, 51, gas, access number 0x2A) and the values
    const auto sel = mbus::build_long(0x53, 253, 0x52, hex("78563412FFFFFFFF"));
    ASSERT_EQ(g.virtual_mbus(sel, kNow), std::vector<std::uint8_t>{0xE5});
    const auto rsp = g.virtual_mbus(hex("105BFD5816"), kNow);
    ASSERT_TRUE(rsp);
    mbus::Telegram t;
    mbus::DecodeError err;
    ASSERT_TRUE(mbus::decode(*rsp, t, err)) << err.message();
    EXPECT_EQ(t.header.id, 0x12345678u);
    EXPECT_EQ(t.header.manufacturer, 0x1593);  // ELS
    EXPECT_EQ(t.header.version, 51);
    EXPECT_EQ(t.header.medium, 0x03);
    EXPECT_EQ(t.header.access_number, 0x2A);
    std::vector<std::string> values;
    for (const auto& rec : t.records)
        if (rec.has_vib) values.push_back(rec.kind == mbus::ValueKind::date ? rec.date.iso() : rec.value.to_string());
    EXPECT_EQ(values, (std::vector<std::string>{"28504.27", "2008-05-31T23:50", "0"}));
}

TEST(Wireless, WithoutAKeyOrWithTheWrongOneTheReadoutFailsByName) {
    Gateway g(":memory:");
    g.install_meter_list(kListHeader + "Boiler room,12345678,2400,esecondary,,\n");
    // a key for another manufacturer only: none matches (§6.15 matching)
    g.install_keys(keys("-1," + kN21Key + ",KAM,-1,-1\n"));
    auto r = g.receive_wireless(hex(kN21), wmbus::CrcFormat::automatic, kNow);
    EXPECT_EQ(wireless_outcome_name(r.outcome), "failed");
    EXPECT_EQ(r.error.rfind("no_key at byte", 0), 0u) << r.error;
    // the wrong key: the 2F2F check fails
    g.install_keys(keys("12345678,00000000000000000000000000000000,*,-1,-1\n"));
    r = g.receive_wireless(hex(kN21), wmbus::CrcFormat::automatic, kNow + std::chrono::seconds(60));
    EXPECT_EQ(wireless_outcome_name(r.outcome), "failed");
    EXPECT_EQ(r.error.rfind("decryption_check_failed", 0), 0u) << r.error;
    EXPECT_EQ(g.record_count(), 0u);
    // Status 3 (the last readout failed) with the decoder's error named; no key digits in it
    const std::string report = g.commission_report();
    EXPECT_NE(report.find(",3,2025-11-26T00:01:00Z,0,0,decryption_check_failed"), std::string::npos) << report;
    EXPECT_EQ(report.find("0102030405"), std::string::npos);
}

TEST(Wireless, OnlyEsecondaryMetersOfTheSendersIdentificationAreRead) {
    Gateway g(":memory:");
    // the same identification installed for wired M-Bus (secondary) is not a wireless meter
    g.install_meter_list(kListHeader + "Wired,12345678,2400,Secondary,,\nOther,87654321,2400,esecondary,,\n");
    g.install_keys(keys("-1," + kN21Key + ",*,-1,-1\n"));
    const auto r = g.receive_wireless(hex(kN21), wmbus::CrcFormat::automatic, kNow);
    EXPECT_EQ(wireless_outcome_name(r.outcome), "not_installed");
    EXPECT_EQ(r.id, 0x12345678u);
    EXPECT_EQ(g.record_count(), 0u);
}

TEST(Wireless, ABrokenLinkLayerNamesNoMeterAndIsDiscarded) {
    Gateway g(":memory:");
    g.install_meter_list(kListHeader + "Boiler room,12345678,2400,esecondary,,\n");
    std::string bad = kN21;
    bad[22] = bad[22] == '0' ? '1' : '0';  // a data byte of the first block: its CRC no longer matches
    const auto r = g.receive_wireless(hex(bad), wmbus::CrcFormat::a, kNow);
    EXPECT_EQ(wireless_outcome_name(r.outcome), "discarded");
    EXPECT_EQ(r.error.rfind("crc_mismatch", 0), 0u) << r.error;
    // never read: Table 8 status 2 (WARNING: no readout yet), nothing stored
    EXPECT_NE(g.commission_report().find("Boiler room,12345678,esecondary,,no,,,,2,,,,"), std::string::npos) << g.commission_report();
}
