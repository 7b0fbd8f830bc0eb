// The E350 meter model takes a readout file in any form normalize_readout accepts and answers with
// the framed readout; bytes it cannot frame still reach read() as a meter fault would.
#include "metercert/devices/e350.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

#include "metercert/devices/cmi1020.hpp"
#include "metercert/mbus/link.hpp"
#include "metercert/mbus/telegram.hpp"

using namespace metercert::devices;

namespace {
std::string file(const std::string& rel) {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/" + rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}
// The capture's data lines (between STX and "!") with LF line ends: a hand-kept text file.
std::string bare_lines(const std::string& raw) {
    std::string out;
    for (char c : raw.substr(raw.find('\x02') + 1, raw.find("!\r\n") - raw.find('\x02') - 1))
        if (c != '\r') out += c;
    return out;
}
}  // namespace

TEST(E350, FramedCaptureIsKeptByteForByte) {
    const std::string raw = file("obis/lgz-zmf100ac-m26.readout");
    E350 m(raw);
    EXPECT_EQ(m.readout_bytes(), raw);
    EXPECT_EQ(m.read().status, E350::ReadStatus::ok);
}

TEST(E350, BareDataBlockIsFramedByTheModel) {
    const std::string raw = file("obis/lgz-zmf100ac-m26.readout");
    E350 m(bare_lines(raw));
    // neutral identification, STX, the capture's lines with CR LF, "!", ETX, and the capture's
    // own BCC 0x01 (the bytes after STX are the same)
    std::string data = bare_lines(raw), crlf;
    for (char c : data) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    EXPECT_EQ(m.readout_bytes(), std::string("/XXX0METERCERT\r\n\x02") + crlf + "!\r\n\x03\x01");
    const auto r = m.read();
    ASSERT_EQ(r.status, E350::ReadStatus::ok);
    ASSERT_EQ(r.readout->lines.size(), 22u);  // vectors/obis/README.md: 22 data lines
    EXPECT_EQ(r.readout->find("1.8.1")->values[0].value, "042951.721");
    m.set_readout(bare_lines(raw));
    EXPECT_EQ(m.read().status, E350::ReadStatus::ok);
}

TEST(E350, UnreadableBytesFailAsAMeterWould) {
    std::string raw = file("obis/lgz-zmf100ac-m26.readout");
    raw.back() = '\x02';  // BCC 0x01 → 0x02
    EXPECT_EQ(E350(raw).read().status, E350::ReadStatus::receive_error);
    EXPECT_EQ(E350(std::string("\0\xFF garbage", 10)).read().status, E350::ReadStatus::readout_timeout);
    EXPECT_EQ(E350("").read().status, E350::ReadStatus::readout_timeout);
}

TEST(E350, Cmi1020ReadsTheBareBlockAsTheCapture) {
    E350 meter(bare_lines(file("obis/lgz-zmf100ac-m26.readout")));
    Cmi1020 slave(Cmi1020Config{0x12345678, 0x01, "1.2.0", 0x02}, meter);
    slave.advance_to(metercert::TimePoint{std::chrono::milliseconds(2000)});  // first readout
    const auto reply = slave.on_frame(metercert::mbus::build_short(0x5B, 0));
    ASSERT_TRUE(reply);
    const auto t = metercert::mbus::decode_or_throw(*reply);
    // CMi1020 Table 4: 0.0 "          120858" is not 8 digits, so C.1.0 (13647123) is the ID
    EXPECT_EQ(t.header.id, 0x13647123u);
}

namespace {
// The value of the first data line with this code, as the readout holds it (found by hand here,
// not through the parser: "CODE(" … ")" or "*").
std::string value_of(const std::string& readout, const std::string& code) {
    const auto at = readout.find("\n" + code + "(");
    const auto b = readout.find('(', at) + 1;
    return readout.substr(b, readout.find_first_of("*)", b) - b);
}
using std::chrono::hours;
using std::chrono::minutes;
using metercert::TimePoint;
}  // namespace

TEST(E350, ALoadGrowsTheImportRegistersInWholeWh) {
    E350 meter(file("obis/lgz-zmf100ac-m26.readout"));
    meter.load_w = 3600;
    meter.advance_to(TimePoint{hours(5)});  // starts the meter's clock only
    EXPECT_EQ(meter.readout_bytes(), file("obis/lgz-zmf100ac-m26.readout"));
    meter.advance_to(TimePoint{hours(6)});  // 3600 W for an hour: 3.600 kWh
    const std::string r = meter.readout_bytes();
    EXPECT_EQ(value_of(r, "1.8.1"), "042955.321");  // 042951.721 + 3.600
    EXPECT_EQ(value_of(r, "1.8.0"), "061564.889");  // 061561.289 + 3.600
    EXPECT_EQ(value_of(r, "15.8.0"), "061575.380");  // 061571.780 + 3.600
    EXPECT_EQ(value_of(r, "1.8.2"), "018609.568");  // another tariff: unchanged
    EXPECT_EQ(value_of(r, "2.8.0"), "000010.490");  // export: unchanged
    EXPECT_EQ(meter.read().status, E350::ReadStatus::ok);  // still a readout with a good BCC
    EXPECT_EQ(r.size(), file("obis/lgz-zmf100ac-m26.readout").size());  // widths kept
    meter.advance_to(TimePoint{hours(1)});  // earlier: nothing
    EXPECT_EQ(meter.readout_bytes(), r);
}

TEST(E350, FractionsOfAWhWaitAndTheRateCommandMovesTheTariff) {
    E350 meter(file("obis/lgz-zmf100ac-m26.readout"));
    meter.load_w = 1;
    meter.advance_to(TimePoint{});
    meter.advance_to(TimePoint{minutes(30)});  // 0.5 Wh
    EXPECT_EQ(value_of(meter.readout_bytes(), "1.8.1"), "042951.721");
    meter.advance_to(TimePoint{minutes(60)});  // 1 Wh
    EXPECT_EQ(value_of(meter.readout_bytes(), "1.8.1"), "042951.722");
    meter.rate = 2;  // as the 0xFF05 command leaves it
    meter.advance_to(TimePoint{minutes(120)});
    EXPECT_EQ(value_of(meter.readout_bytes(), "1.8.1"), "042951.722");
    EXPECT_EQ(value_of(meter.readout_bytes(), "1.8.2"), "018609.569");
    EXPECT_EQ(value_of(meter.readout_bytes(), "1.8.0"), "061561.291");
}

TEST(E350, TheModuleAndTheOpticalPortSeeTheSameMeterAtTheSameTime) {
    E350 meter(file("obis/lgz-zmf100ac-m26.readout"));
    meter.load_w = 3'600'000;  // 1 kWh per second
    Cmi1020 slave(Cmi1020Config{0x12345678, 0x01, "1.2.0", 0x02}, meter);
    slave.advance_to(TimePoint{std::chrono::milliseconds(2000)});   // first readout: the meter's clock starts
    slave.advance_to(TimePoint{std::chrono::milliseconds(32000)});  // second readout, 30 s later: +30 kWh
    EXPECT_EQ(value_of(meter.optical_answer(), "1.8.1"), "042981.721");
    const auto reply = slave.on_frame(metercert::mbus::build_short(0x5B, 0));
    ASSERT_TRUE(reply);
    const auto t = metercert::mbus::decode_or_throw(*reply);
    bool seen = false;  // 1.8.1: DIF 84 DIFE 10, VIF 83-86 VIFE 3B (CMi1020 Table 6): Uint32 Wh·10^(VIF−0x83)
    for (const auto& rec : t.records)
        if (rec.dif == 0x84 && rec.n_dife == 1 && rec.dife[0] == 0x10 && rec.n_vife == 1 && rec.vife[0] == 0x3B) {
            seen = true;
            ASSERT_EQ(rec.data.len, 4);
            std::uint64_t n = 0;
            for (int i = 3; i >= 0; --i) n = n * 256 + t.bytes[rec.data.off + i];
            for (int e = (rec.vif & 0x07) - 3; e > 0; --e) n *= 10;
            EXPECT_EQ(n, 42981721u);  // Wh: the meter's 042981.721 kWh at the module's readout
        }
    EXPECT_TRUE(seen);
}
