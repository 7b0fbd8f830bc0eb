// The wmbus.receive links: sim:cmi1020w (the CMi1020W on a simulated clock: nothing before 15 s
// after power-up, then one telegram per interval, each tapped; power-up and the meter through
// sim.cmi1020w) and wmbus+hex:FILE (the line format of rigs/README.md: times, RSSI, comments, the
// frame format, a bad line named by its number); secrets in URLs are never shown. Expectations are
// the manual's and EN 13757-3/-4's numbers (15 s, ELV = 0x1596 packed from its letters, C.1.0 of the
// readout as BCD, the CRC-16 check value), not values the code under test produced.
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>

#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/sim_cmi1020.hpp"
#include "metercert/rigs/sim_cmi1020w.hpp"
#include "metercert/rigs/wmbus_receiver.hpp"

using namespace metercert;
using namespace metercert::rigs;
using namespace std::chrono_literals;
using Caps = std::vector<std::string>;

namespace {

const char* kKey = "000102030405060708090A0B0C0D0E0F";

std::string message_of(const std::string& url) {
    try {
        check_link(url);
        open_link(url);
        return "opened";
    } catch (const DutError& e) {
        return e.what();
    }
}

std::string write(const std::string& name, const std::string& text) {
    const auto p = std::filesystem::temp_directory_path() / ("metercert-wmbus-link-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
}

// EN 13757-3 §5.5: three letters, each (letter − 64) in 5 bits, first letter highest.
constexpr std::uint16_t packed(char a, char b, char c) {
    return static_cast<std::uint16_t>(((a - 64) << 10) | ((b - 64) << 5) | (c - 64));
}

std::string hex(const std::vector<std::uint8_t>& b) {
    std::string s;
    for (auto c : b) {
        static const char* d = "0123456789ABCDEF";
        s += d[c >> 4];
        s += d[c & 15];
    }
    return s;
}

}  // namespace

TEST(RedactUrl, SecretParametersAreNeverShown) {
    EXPECT_EQ(redact_url("sim:cmi1020w?key=00112233445566778899AABBCCDDEEFF&mode=C1"), "sim:cmi1020w?key=<redacted>&mode=C1");
    EXPECT_EQ(redact_url("wmbus+hex:-?crc=A&key=abc"), "wmbus+hex:-?crc=A&key=<redacted>");
    EXPECT_EQ(redact_url("x://h?password=p&psk=q&keys=file"), "x://h?password=<redacted>&psk=<redacted>&keys=file");
    EXPECT_EQ(redact_url("sim:cmi1020?count=2"), "sim:cmi1020?count=2");
    EXPECT_EQ(redact_url("sim:cmi1020w?key="), "sim:cmi1020w?key=<redacted>");
}

TEST(SimCmi1020W, OffersReceiveAndTheModel) {
    EXPECT_EQ(check_link("sim:cmi1020w").capabilities, (Caps{"sim.cmi1020w", "wmbus.receive"}));
    for (const char* c : {"wmbus.receive", "sim.cmi1020w"}) {
        ASSERT_NE(find_capability(c), nullptr) << c;
        EXPECT_FALSE(find_capability(c)->reserved) << c;
    }
    auto link = open_link("sim:cmi1020w");
    EXPECT_NE(link->wmbus_receive(), nullptr);
    EXPECT_NE(link->sim_cmi1020w(), nullptr);
    EXPECT_EQ(link->mbus_request(), nullptr);
    EXPECT_THROW(link->require_sim_cmi1020("x"), MissingCapability);
}

// Manual "operation and function" / "LED indications": red LED ~15 s after power-up, then the
// telegrams; the A-field is C.1.0 (13647123 in the real readout) as BCD, M = ELV, device type 02.
TEST(SimCmi1020W, FirstTelegramFifteenSecondsAfterPowerUpThenEveryInterval) {
    MemoryTap tap;
    auto link = open_link("sim:cmi1020w?interval=60", {.tap = &tap});
    WmbusReceiver& rx = link->require_wmbus_receive("test");
    EXPECT_FALSE(rx.receive(14s));
    EXPECT_EQ(rx.now(), TimePoint{} + 14s);
    EXPECT_TRUE(tap.records.empty());
    auto t = rx.receive(10s);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->at, TimePoint{} + 15s);
    EXPECT_EQ(rx.now(), TimePoint{} + 15s);
    EXPECT_EQ(t->crc, wmbus::CrcFormat::a);
    EXPECT_EQ(t->mode, "T1");
    EXPECT_FALSE(t->rssi_dbm);
    const auto& f = t->frame;
    ASSERT_GE(f.size(), 12u);
    EXPECT_EQ(f[1], 0x44);  // SND_NR
    EXPECT_EQ(f[2] | f[3] << 8, packed('E', 'L', 'V'));
    EXPECT_EQ(hex({f.begin() + 4, f.begin() + 8}), "23716413");  // 13647123, BCD LSB first
    EXPECT_EQ(f[9], 0x02);                                      // electricity
    // format A: L counts neither itself nor the CRCs; 2 CRC bytes after 10, then per 16 bytes
    EXPECT_EQ(f.size(), f[0] + 1u + 2u * (1u + (f[0] - 9u + 15u) / 16u));
    ASSERT_EQ(tap.records.size(), 1u);
    EXPECT_EQ(tap.records[0].link, LinkKind::wmbus);
    EXPECT_EQ(tap.records[0].direction, Direction::from_dut);
    EXPECT_EQ(tap.records[0].bytes, f);
    auto u = rx.receive(120s);
    ASSERT_TRUE(u);
    EXPECT_EQ(u->at, TimePoint{} + 75s);
    EXPECT_EQ(f[12], 0x7A);                                           // CI after the first block's CRC
    EXPECT_EQ(u->frame[13], static_cast<std::uint8_t>(f[13] + 1));  // access number (CI 7A short header) +1
    EXPECT_EQ(tap.records.size(), 2u);
}

TEST(SimCmi1020W, PowerUpRestartsTheFifteenSecondsAndTheModelIsReachable) {
    auto link = open_link("sim:cmi1020w?interval=30&mode=C1");
    WmbusReceiver& rx = link->require_wmbus_receive("test");
    SimCmi1020W& sim = link->require_sim_cmi1020w("test");
    ASSERT_TRUE(rx.receive(20s));
    EXPECT_EQ(sim.meter().reads, 1u);
    EXPECT_EQ(sim.module().sent(), 1u);
    sim.idle(100s);
    EXPECT_EQ(rx.now(), TimePoint{} + 115s);
    sim.power_cycle();
    EXPECT_EQ(sim.powered_up_at(), TimePoint{} + 115s);
    EXPECT_FALSE(rx.receive(14s));
    auto t = rx.receive(2s);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->at, TimePoint{} + 130s);
    EXPECT_EQ(t->mode, "C1");
    EXPECT_EQ(t->frame[13], 0);  // E-55: the access number starts again at 0
}

TEST(SimCmi1020W, NothingWithoutMeterId) {
    const std::string readout = write("noid.readout", "/LGZ4ZMF100AC.M26\r\n1.8.0(000001.000*kWh)\r\n!\r\n");
    auto link = open_link("sim:cmi1020w?readout=" + readout);
    EXPECT_FALSE(link->require_wmbus_receive("test").receive(86400s));
    EXPECT_TRUE(link->require_sim_cmi1020w("test").module().red_led());
    std::filesystem::remove(readout);
}

TEST(SimCmi1020W, UrlErrorsNameThePartAndNeverTheKey) {
    const std::string secret = "FFEEDDCCBBAA99887766554433221100";
    EXPECT_EQ(message_of("sim:cmi1020w?key=" + secret + "&mode=X1"), "DUT URL 'sim:cmi1020w?key=<redacted>&mode=X1': mode=X1 (expected T1 or C1)");
    EXPECT_EQ(message_of("sim:cmi1020w?key=" + secret.substr(2)),
              "DUT URL 'sim:cmi1020w?key=<redacted>': key= must be 32 hex digits (the key is not shown)");
    EXPECT_EQ(message_of("sim:cmi1020w?fault=wrong_key"), "DUT URL 'sim:cmi1020w?fault=wrong_key': fault=wrong_key needs key= (it changes the encryption)");
    EXPECT_EQ(message_of("sim:cmi1020w?interval=0"), "DUT URL 'sim:cmi1020w?interval=0': interval=0 is not a number in 1…86400");
    EXPECT_EQ(message_of("sim:cmi1020w?fault=bogus").rfind("DUT URL 'sim:cmi1020w?fault=bogus': fault=bogus is unknown (none, bad_crc", 0), 0u);
    EXPECT_EQ(message_of("sim:cmi1020w?key=" + secret + "&colour=red"), "DUT URL 'sim:cmi1020w?key=<redacted>&colour=red': unknown parameter 'colour'");
    auto link = open_link("sim:cmi1020w?key=" + secret + "&fault=wrong_key");
    EXPECT_EQ(link->url(), "sim:cmi1020w?key=<redacted>&fault=wrong_key");
    EXPECT_EQ(link->description().find(secret), std::string::npos);
    try {
        link->require_sim_cmi1020("test");
        FAIL();
    } catch (const MissingCapability& e) {
        EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos);
    }
}

// ------------------------------------------------------------------------------- wmbus+hex

TEST(WmbusHex, LineFormatTimesRssiCommentsAndTheFrameFormat) {
    // crc=auto decides by the length (EN 13757-4 §5.3): L = 0x1E, format A → 31 + 2 × (1 + 2) = 37
    // bytes; L = 0x0A in 11 bytes is L + 1: no CRCs (format B's would not hold)
    const std::string a(74, 'A');
    std::string a_frame = "1E" + a.substr(2);
    const std::string none_frame = "0A4496152371641301027A";  // L = 10, 11 bytes: no CRCs
    const std::string path = write("cap.hex", "{\"ready\": true}\n# a comment\n\n2026-11-26T08:00:00Z " + a_frame +
                                                  " rssi=-71\n  2026-11-26T08:15:00.5Z " + none_frame + "\n");
    MemoryTap tap;
    auto link = open_link("wmbus+hex:" + path + "?mode=T1&key=" + std::string(kKey), {.tap = &tap});
    EXPECT_EQ(link->capabilities(), (Caps{"wmbus.receive"}));
    EXPECT_EQ(link->url().find(kKey), std::string::npos);
    WmbusReceiver& rx = link->require_wmbus_receive("test");
    const TimePoint t0{Duration{1795680000LL * 1000000}};  // 2026-11-26T08:00:00Z (date -d … +%s)
    EXPECT_EQ(rx.now(), t0);
    auto a1 = rx.receive(0s);
    ASSERT_TRUE(a1);
    EXPECT_EQ(a1->at, t0);
    EXPECT_EQ(a1->rssi_dbm, -71);
    EXPECT_EQ(a1->crc, wmbus::CrcFormat::a);
    EXPECT_EQ(a1->mode, "T1");
    EXPECT_EQ(a1->frame.size(), 37u);
    EXPECT_FALSE(rx.receive(899s));  // the next came 900.5 s later
    EXPECT_EQ(rx.now(), t0 + 899s);
    auto a2 = rx.receive(2s);
    ASSERT_TRUE(a2);
    EXPECT_EQ(a2->at, t0 + 900500ms);
    EXPECT_EQ(a2->crc, wmbus::CrcFormat::none);
    EXPECT_FALSE(a2->rssi_dbm);
    EXPECT_FALSE(rx.receive(3600s));  // the end
    ASSERT_EQ(tap.records.size(), 2u);
    EXPECT_EQ(tap.records[0].wall_us, 1795680000LL * 1000000);
    EXPECT_EQ(tap.records[1].link, LinkKind::wmbus);
    std::filesystem::remove(path);
}

TEST(WmbusHex, WithoutTimesEveryTelegramComesAtOnce) {
    const std::string path = write("notimes.hex", "0B4496152371641301027A\n0B4496152371641301027B\n");
    auto link = open_link("wmbus+hex:" + path + "?crc=none");
    WmbusReceiver& rx = link->require_wmbus_receive("test");
    auto a = rx.receive(0s);
    ASSERT_TRUE(a);
    EXPECT_FALSE(a->at);
    EXPECT_EQ(a->mode, "");
    ASSERT_TRUE(rx.receive(0s));
    EXPECT_FALSE(rx.receive(1s));
    std::filesystem::remove(path);
}

TEST(WmbusHex, ABadLineIsNamedByItsNumber) {
    auto msg = [](const std::string& name, const std::string& text) {
        const std::string p = write(name, text);
        std::string m = message_of("wmbus+hex:" + p + "?key=" + std::string(kKey));
        std::filesystem::remove(p);
        EXPECT_EQ(m.find(kKey), std::string::npos) << m;
        return m.substr(m.find("': ") + 3);
    };
    const std::string ok = "0B4496152371641301027A";
    EXPECT_NE(msg("odd", "# c\n" + ok + "\n0B4\n").find("line 3: an odd number of hex digits (3)"), std::string::npos);
    EXPECT_NE(msg("nothex", ok + "\n0G449615237164130102\n").find("line 2: 'G' at column 2 is not a hex digit"), std::string::npos);
    EXPECT_NE(msg("short", "0B44\n").find("line 1: 2 byte(s)"), std::string::npos);
    EXPECT_NE(msg("rssi", ok + " rssi=5\n").find("line 1: rssi=5: not a level in dBm"), std::string::npos);
    EXPECT_NE(msg("time", "yesterday " + ok + "\n").find("line 1: time 'yesterday'"), std::string::npos);
    EXPECT_NE(msg("back", "10 " + ok + "\n9.5 " + ok + "\n").find("line 2: the time goes back"), std::string::npos);
    EXPECT_NE(msg("mixed", "10 " + ok + "\n2026-11-26T08:00:00Z " + ok + "\n").find("line 2: times in two forms"), std::string::npos);
    EXPECT_NE(msg("notime", "10 " + ok + "\n" + ok + "\n").find("line 2: no time"), std::string::npos);
    EXPECT_NE(msg("three", "1 2 " + ok + "\n").find("line 1: expected [TIME] HEX [rssi=-NN]"), std::string::npos);
    EXPECT_NE(message_of("wmbus+hex:/nonexistent/cap.hex").find("no such file"), std::string::npos);
    EXPECT_NE(message_of("wmbus+hex:/tmp").find("is a directory"), std::string::npos);
    const std::string p = write("crc", ok + "\n");
    EXPECT_NE(message_of("wmbus+hex:" + p + "?crc=C").find("crc=C (expected auto, A, B or none)"), std::string::npos);
    EXPECT_NE(message_of("wmbus+hex:" + p + "?key=12").find("key=<redacted>': key= must be 32 hex digits"), std::string::npos);
    std::filesystem::remove(p);
}
