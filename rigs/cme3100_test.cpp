// The CMe3100 reference gateway reading reference CMi1020 slaves on a simulated bus: Meter List
// install (the manual's Figure 5 addresses), scheduled readout into SQLite, licence limit,
// multi-telegram read limit, commission report, Table 8 status, Virtual M-Bus with expiration.
#include <gtest/gtest.h>

#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "metercert/devices/bus.hpp"
#include "metercert/devices/cme3100/gateway.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"
#include "metercert/rigs/sim_port.hpp"

using namespace metercert;
using namespace std::chrono;
using devices::cme3100::Gateway;
using Bytes = std::vector<std::uint8_t>;

namespace {

std::string file(const std::string& rel) {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/" + rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

const char* kFigure5 =
    "Position,SecondaryAddress,BaudRate,AddressingMode,PrimaryAddress,EnhancedAddress\n"
    "Cafeteria,13001651,2400,Secondary,,\n"
    "Sales office,14290591,2400,Primary,221,\n"
    "Reception,67690871,2400,Secondary,,\n";

struct Site {
    explicit Site(std::string readout = file("obis/lgz-zmf100ac-m26.readout"))
        : bus({.count = 1, .secondary = {}, .address = 0, .readout = std::move(readout),
               .secondaries = {0x13001651, 0x14290591, 0x67690871}}),
          port(bus), m(port) {
        // the installer gives "Sales office" primary address 221 (CMi1020 §6.7.5, via its secondary address)
        m.select_exact(mbus::SecondaryMask::parse("14290591"));
        m.snd_ud(253, 0x51, Bytes{0x01, 0x7A, 221});
        port.idle(std::chrono::milliseconds(2500));
    }
    devices::Cmi1020Bus bus;
    rigs::SimPort port;
    master::Master m;
};

const sys_seconds kNow = sys_days{year{2026} / 11 / 22} + hours(10);

std::int64_t query_int(const std::string& db, const std::string& sql) {
    sqlite3* h = nullptr;
    sqlite3_open(db.c_str(), &h);
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(h, sql.c_str(), -1, &s, nullptr);
    std::int64_t v = -1;
    if (sqlite3_step(s) == SQLITE_ROW) v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return v;
}

std::string temp_db(const char* name) {
    const auto p = std::filesystem::temp_directory_path() / (std::string("metercert-") + std::to_string(::getpid()) + name);
    std::filesystem::remove(p);
    return p.string();
}

}  // namespace

TEST(Cme3100, InstallReadStoreAndReport) {
    const std::string db = temp_db("-gw.sqlite");
    Site site;
    {
        Gateway gw(db);
        const auto imp = gw.install_meter_list(kFigure5);
        ASSERT_TRUE(imp.errors.empty());
        const auto res = gw.read_all(site.m, kNow);
        ASSERT_EQ(res.size(), 3u);
        for (const auto& r : res) EXPECT_TRUE(r.ok) << r.position << ": " << r.error;
        EXPECT_EQ(gw.status(), devices::cme3100::Status::ok);
        const std::string report = gw.commission_report();
        EXPECT_NE(report.find("Sales office,14290591,primary,221,no,ELV,1,0x02,1,2026-11-22T10:00:00Z,1,"), std::string::npos)
            << report;
    }
    // the database is a real SQLite file: the E350's 1.8.1(042951.721*kWh) is stored exactly, per meter
    EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM meters"), 3);
    EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM readouts WHERE ok = 1"), 3);
    EXPECT_EQ(query_int(db, "SELECT COUNT(*) FROM records WHERE quantity = 'energy' AND unit = 'Wh' AND value = '42951721'"), 3);
    EXPECT_EQ(query_int(db, "SELECT manufacturer FROM meters WHERE position = 'Cafeteria'"), 0x1596);
    std::filesystem::remove(db);
}

TEST(Cme3100, LicenceLimitMakesPassiveMetersThatAreNotRead) {
    Site site;
    Gateway gw(":memory:", {.licence_limit = 2});
    gw.install_meter_list(kFigure5);
    EXPECT_TRUE(gw.meters()[2].passive);
    EXPECT_EQ(gw.read_all(site.m, kNow).size(), 2u);
    const std::string report = gw.commission_report();
    EXPECT_NE(report.find("Reception,67690871,secondary,,yes,,,,2,"), std::string::npos) << report;
}

TEST(Cme3100, AbsentMeterFailsWithANamedErrorAndWarns) {
    Site site;
    Gateway gw(":memory:");
    gw.install_meter_list(std::string(kFigure5) + "Basement,99999999,2400,secondary,,\n");
    const auto res = gw.read_all(site.m, kNow);
    ASSERT_EQ(res.size(), 4u);
    EXPECT_FALSE(res[3].ok);
    EXPECT_EQ(res[3].error.rfind("timeout", 0), 0u) << res[3].error;
    EXPECT_EQ(gw.status(), devices::cme3100::Status::warning);  // Table 8: some meters failed
    EXPECT_NE(gw.commission_report().find("Basement,99999999,secondary,,no,,,,3,"), std::string::npos);
}

TEST(Cme3100, MultiTelegramReadLimit) {
    Site site(file("obis/table6-all-rows.readout"));
    site.m.settings().multi_telegram_limit = 1;
    Gateway gw(":memory:");
    gw.install_meter_list(kFigure5);
    const auto one = gw.read_all(site.m, kNow);
    EXPECT_EQ(one[0].telegrams, 1u);
    EXPECT_TRUE(one[0].truncated);
    site.m.settings().multi_telegram_limit = 10;
    const auto all = gw.read_all(site.m, kNow + minutes(15));
    EXPECT_GT(all[0].telegrams, 1u);
    EXPECT_FALSE(all[0].truncated);
    EXPECT_GT(all[0].records, one[0].records);
    EXPECT_EQ(gw.readouts(1).size(), 2u);
}

TEST(Cme3100, InstallBySearch) {
    Site site;
    Gateway gw(":memory:");
    const auto found = master::search_secondary(site.m, master::SearchAlgorithm::adaptive);
    EXPECT_EQ(gw.install_found(found.found), 3u);
    EXPECT_EQ(gw.install_found(found.found), 0u);  // already installed
    const auto ms = gw.meters();
    ASSERT_EQ(ms.size(), 3u);
    EXPECT_EQ(ms[0].secondary, 0x13001651u);
    EXPECT_EQ(gw.read_all(site.m, kNow).size(), 3u);
}

TEST(Cme3100, VirtualMbusServesTheDatabaseAndExpiresValues) {
    Site site;
    Gateway gw(":memory:", {.value_expiration = hours(24)});
    gw.install_meter_list(kFigure5);
    gw.read_all(site.m, kNow);
    // what the slave itself answered, for comparison
    site.m.select_exact(mbus::SecondaryMask::parse("13001651"));
    const Bytes direct = site.m.read(253).telegrams.at(0).frame;
    const auto t = kNow + hours(1);
    EXPECT_EQ(gw.virtual_mbus(mbus::build_short(0x40, 221), t), Bytes{0xE5});  // "Sales office" by primary
    const auto by_primary = gw.virtual_mbus(mbus::build_short(0x7B, 221), t);
    ASSERT_TRUE(by_primary);
    EXPECT_EQ(mbus::decode_or_throw(*by_primary).a, 221);
    EXPECT_EQ(mbus::decode_or_throw(*by_primary).header.id, 0x14290591u);
    // by secondary address, then 253
    EXPECT_EQ(gw.virtual_mbus(mbus::build_long(0x53, 253, 0x52, Bytes{0x51, 0x16, 0x00, 0x13, 0xFF, 0xFF, 0xFF, 0xFF}), t),
              Bytes{0xE5});
    const auto sel = gw.virtual_mbus(mbus::build_short(0x7B, 253), t);
    ASSERT_TRUE(sel);
    const auto served = mbus::decode_or_throw(*sel), original = mbus::decode_or_throw(direct);
    EXPECT_EQ(served.header.id, 0x13001651u);
    EXPECT_EQ(served.records.size(), original.records.size());
    EXPECT_EQ(served.header.status, 0);
    // a wildcard matching several installed meters collides, as slaves on a wire would
    const auto many = gw.virtual_mbus(mbus::build_long(0x53, 253, 0x52, Bytes{0xFF, 0xFF, 0xFF, 0xFF}), t);
    ASSERT_TRUE(many);
    EXPECT_NE(*many, Bytes{0xE5});
    // past the value expiration: the header alone, status bit 4 (temporary error)
    gw.virtual_mbus(mbus::build_long(0x53, 253, 0x52, Bytes{0x51, 0x16, 0x00, 0x13, 0xFF, 0xFF, 0xFF, 0xFF}), t);
    const auto old = gw.virtual_mbus(mbus::build_short(0x7B, 253), kNow + hours(25));
    ASSERT_TRUE(old);
    const auto expired = mbus::decode_or_throw(*old);
    EXPECT_EQ(expired.header.id, 0x13001651u);
    EXPECT_EQ(expired.header.status & 0x10, 0x10);
    EXPECT_TRUE(expired.records.empty());
    // an address nobody has: silence
    EXPECT_FALSE(gw.virtual_mbus(mbus::build_short(0x7B, 17), t));
}
