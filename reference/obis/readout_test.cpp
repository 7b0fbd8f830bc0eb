#include "metercert/obis/readout.hpp"

#include <fstream>
#include <iterator>

#include <gtest/gtest.h>

using namespace metercert::obis;

namespace {
std::string file(const std::string& rel) {
    std::ifstream in(std::string(METERCERT_VECTORS_DIR) + "/" + rel, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}
}  // namespace

TEST(Readout, BccExampleOfTheStandard) {
    // NOTES.md: SOH P0 STX (1234567) ETX → BCC 0x50 ('P'), XOR of every byte after SOH.
    const std::string s = std::string("P0\x02(1234567)\x03");
    EXPECT_EQ(bcc(std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())), 0x50);
}

TEST(Readout, RealE350) {
    // vectors/obis/README.md: 22 data lines, BCC 0x01; 0.0 padded, C.1.1 blank, F.F and C.5.0 hex.
    const Readout r = parse_readout(file("obis/lgz-zmf100ac-m26.readout"));
    EXPECT_EQ(r.manufacturer, "LGZ");
    EXPECT_EQ(r.baud_char, '4');
    EXPECT_EQ(r.baud(), 4800u);
    EXPECT_EQ(r.identification, "ZMF100AC.M26");
    EXPECT_EQ(r.bcc, 0x01);
    ASSERT_EQ(r.lines.size(), 22u);
    EXPECT_EQ(r.lines[0].code_text, "F.F");
    EXPECT_EQ(r.lines[0].values[0].value, "00");
    EXPECT_EQ(r.lines[1].code_text, "0.0");
    EXPECT_EQ(r.lines[1].values[0].raw, "          120858");
    EXPECT_EQ(r.lines[1].values[0].value, "120858");
    EXPECT_EQ(r.find("C.1.1")->values[0].value, "");
    const DataLine* e = r.find("1.8.1");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->values[0].value, "042951.721");
    EXPECT_EQ(e->values[0].unit, "kWh");
    EXPECT_EQ(e->code.to_string(), "1-0:1.8.1*255");
    EXPECT_EQ(r.find("32.7")->values[0].value, "241");
    EXPECT_EQ(r.find("31.7")->values[0].value, "000.35");
    EXPECT_EQ(r.find("C.5.0")->values[0].value, "0401");  // hex, stays text
    EXPECT_EQ(r.find("0.2.0")->values[0].unit, "");
    EXPECT_EQ(r.lines.back().line, 23u);
}

TEST(Readout, RenderIsTheInverse) {
    const std::string raw = file("obis/lgz-zmf100ac-m26.readout");
    EXPECT_EQ(render_readout(parse_readout(raw)), raw);
}

TEST(Readout, NamedErrorsWithLineAndColumn) {
    std::string raw = file("obis/lgz-zmf100ac-m26.readout");
    auto expect_error = [](const std::string& text, const std::string& name, std::size_t line) {
        try {
            parse_readout(text);
            ADD_FAILURE() << "accepted, expected " << name;
        } catch (const ReadoutError& e) {
            EXPECT_EQ(e.name, name) << e.what();
            EXPECT_EQ(e.line, line) << e.what();
        }
    };
    std::string flipped = raw;
    flipped[flipped.find("241")] = '3';  // one digit changed: the BCC no longer matches
    expect_error(flipped, "bad_bcc", 25);
    expect_error(raw.substr(1), "missing_identification", 1);
    std::string no_stx = raw;
    no_stx.erase(no_stx.find('\x02'), 1);
    expect_error(no_stx, "missing_stx", 2);
    std::string bad_line = raw;
    bad_line.replace(bad_line.find("C.1.0("), 6, "C.1.0[");
    expect_error(bad_line, "bad_data_line", 4);
    std::string unterminated = raw;
    unterminated.replace(unterminated.find("(M26)"), 5, "(M26 ");
    expect_error(unterminated, "unterminated_value", 22);
    std::string bad_code = raw;
    bad_code.replace(bad_code.find("82.8.1"), 6, "82.X.1");
    expect_error(bad_code, "bad_obis_code", 20);
    expect_error(raw.substr(0, raw.find('!')), "missing_end", 24);
    expect_error(raw.substr(0, raw.size() - 1), "missing_bcc", 25);
    // a short identification: "/LGZ\r\n"
    expect_error("/LGZ\r\n\x02!\r\n\x03\x03", "bad_identification", 1);
}

TEST(Readout, IdentificationWithEnhancedIdAndNoBaudAssumptions) {
    // An identification may follow the baud character directly or start with '\' + W.
    const std::string body = std::string("1.8.0(1*kWh)\r\n!\r\n\x03");
    std::uint8_t x = 0;
    for (char c : body) x ^= static_cast<std::uint8_t>(c);
    const Readout r = parse_readout("/ABC5\\2XYZ\r\n\x02" + body + static_cast<char>(x));
    EXPECT_EQ(r.identification, "\\2XYZ");
    EXPECT_EQ(r.baud(), 9600u);
}
