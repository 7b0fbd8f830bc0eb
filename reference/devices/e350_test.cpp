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
