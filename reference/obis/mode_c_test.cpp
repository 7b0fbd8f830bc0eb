// The meter side of IEC 62056-21 mode C against the standard's message framing written out by
// hand (request "/?!" CR LF, identification, ACK V Z Y CR LF, data message) and the real E350
// readout (vectors/obis/lgz-zmf100ac-m26.readout, data/e350 in the shared notes).
#include "metercert/obis/mode_c.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

namespace {
using metercert::obis::ModeCMeter;

std::string real_readout() {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/obis/lgz-zmf100ac-m26.readout", std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

TEST(ModeCMeter, SignOnIdentificationOptionSelectDataMessage) {
    const std::string r = real_readout();
    ASSERT_EQ(r.substr(0, 19), "/LGZ4ZMF100AC.M26\r\n");
    ModeCMeter m([&] { return r; });
    const auto id = m.feed("/?!\r\n");
    EXPECT_EQ(id.bytes, "/LGZ4ZMF100AC.M26\r\n");
    EXPECT_EQ(id.baud, 300u);
    EXPECT_EQ(m.state(), ModeCMeter::State::wait_option_select);
    const auto data = m.feed(std::string("\x06" "040\r\n"));  // ACK, V '0', Z '4' (4800 Bd), Y '0'
    EXPECT_EQ(data.baud, 4800u);
    ASSERT_FALSE(data.bytes.empty());
    EXPECT_EQ(data.bytes.front(), '\x02');
    EXPECT_EQ(data.bytes, r.substr(19));            // STX … "!" CR LF ETX BCC, byte for byte
    EXPECT_EQ(data.bytes.substr(data.bytes.size() - 2), std::string("\x03\x01"));  // ETX, BCC 0x01 (data/e350)
    EXPECT_EQ(m.readouts(), 1u);
    EXPECT_EQ(m.state(), ModeCMeter::State::wait_request);
}

TEST(ModeCMeter, SlowerRateAndAddressedRequestInPieces) {
    const std::string r = real_readout();
    ModeCMeter m([&] { return r; });
    EXPECT_TRUE(m.feed("/?1234").bytes.empty());
    EXPECT_EQ(m.feed("5678!\r\n").bytes, "/LGZ4ZMF100AC.M26\r\n");
    const auto data = m.feed(std::string("\x06" "000\r\n"));  // stay at 300 Bd
    EXPECT_EQ(data.baud, 300u);
    EXPECT_EQ(data.bytes, r.substr(19));
}

TEST(ModeCMeter, OptionSelectsItDoesNotAnswer) {
    const std::string r = real_readout();
    for (const char* ack : {"\x06" "041\r\n",  // programming mode
                            "\x06" "050\r\n",  // 9600 Bd: above the identification's '4'
                            "\x06" "070\r\n",  // no mode C baud character
                            "\x06" "140\r\n",  // V '1'
                            "\x15\r\n"}) {     // NAK
        ModeCMeter m([&] { return r; });
        ASSERT_FALSE(m.feed("/?!\r\n").bytes.empty());
        EXPECT_TRUE(m.feed(ack).bytes.empty()) << ack;
        EXPECT_EQ(m.state(), ModeCMeter::State::wait_request);
        EXPECT_EQ(m.readouts(), 0u);
    }
}

TEST(ModeCMeter, OptionSelectWithoutRequestAndResetAreIgnored) {
    const std::string r = real_readout();
    ModeCMeter m([&] { return r; });
    EXPECT_TRUE(m.feed(std::string("\x06" "040\r\n")).bytes.empty());
    ASSERT_FALSE(m.feed("/?!\r\n").bytes.empty());
    m.reset();  // the caller's silence timeout
    EXPECT_TRUE(m.feed(std::string("\x06" "040\r\n")).bytes.empty());
    // a new request in the middle starts over
    ASSERT_FALSE(m.feed("/?!\r\n").bytes.empty());
    EXPECT_EQ(m.feed("/?!\r\n").bytes, "/LGZ4ZMF100AC.M26\r\n");
}

TEST(ModeCMeter, ASilentMeterSendsNothing) {
    ModeCMeter m([] { return std::string(); });
    EXPECT_TRUE(m.feed("/?!\r\n").bytes.empty());
    EXPECT_EQ(m.state(), ModeCMeter::State::wait_request);
}

}  // namespace
