#include "metercert/obis/readout.hpp"

#include <chrono>
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
    // The usual check value: SOH P0 STX (1234567) ETX → BCC 0x50 ('P'), XOR of every byte after SOH.
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

// ------------------------------------------------------------------ normalize_readout
namespace {
// The real readout's data lines (between STX and the "!" line) as a text file would hold them.
std::string data_lines_of(const std::string& raw, const char* eol) {
    const std::string block = raw.substr(raw.find('\x02') + 1, raw.find("!\r\n") - raw.find('\x02') - 1);
    std::string out;
    for (std::size_t p = 0; p < block.size();) {
        const auto e = block.find("\r\n", p);
        out += block.substr(p, e - p) + eol;
        p = e + 2;
    }
    return out;
}
std::string lf(const std::string& s) {
    std::string o;
    for (char c : s)
        if (c != '\r') o += c;
    return o;
}
struct Where {
    std::string name;
    std::size_t line, column;
    friend bool operator==(const Where&, const Where&) = default;
};
std::ostream& operator<<(std::ostream& o, const Where& w) { return o << w.name << " at " << w.line << ":" << w.column; }
Where rejected(const std::string& bytes) {
    try {
        const std::string out = normalize_readout(bytes);
        return {"accepted: " + out, 0, 0};
    } catch (const ReadoutError& e) {
        return {e.name, e.line, e.column};
    }
}
}  // namespace

TEST(ReadoutNormalize, RealE350IsAlreadyCanonical) {
    const std::string raw = file("obis/lgz-zmf100ac-m26.readout");
    ASSERT_EQ(raw.size(), 406u);
    EXPECT_EQ(normalize_readout(raw), raw);
    EXPECT_EQ(normalize_readout(file("obis/table6-all-rows.readout")), file("obis/table6-all-rows.readout"));
}

TEST(ReadoutNormalize, CaptureThroughATextToolIsRestored) {
    const std::string raw = file("obis/lgz-zmf100ac-m26.readout");
    // CR LF → LF: the BCC 0x01 is that of the CR LF form, which proves the capture intact
    EXPECT_EQ(normalize_readout(lf(raw)), raw);
    EXPECT_EQ(normalize_readout(raw + "\n"), raw);    // an editor's final line end
    EXPECT_EQ(normalize_readout(raw + "\r\n"), raw);
}

TEST(ReadoutNormalize, BareDataBlockGetsTheFraming) {
    const std::string raw = file("obis/lgz-zmf100ac-m26.readout");
    // Same data lines as the capture, so the BCC is the capture's 0x01 (XOR after STX up to ETX).
    const std::string expected = std::string("/XXX0METERCERT\r\n\x02") + data_lines_of(raw, "\r\n") + "!\r\n\x03\x01";
    EXPECT_EQ(normalize_readout(data_lines_of(raw, "\n")), expected);
    EXPECT_EQ(normalize_readout(data_lines_of(raw, "\r\n")), expected);
    EXPECT_EQ(normalize_readout(data_lines_of(raw, "\n") + "!\n"), expected);
    EXPECT_EQ(normalize_readout(data_lines_of(raw, "\n") + "!"), expected);
    EXPECT_EQ(normalize_readout(data_lines_of(raw, "\n") + "\n\n"), expected);  // blank lines at the end
    std::string no_final_eol = data_lines_of(raw, "\n");
    no_final_eol.pop_back();
    EXPECT_EQ(normalize_readout(no_final_eol), expected);
    // identification line kept, STX … ETX BCC supplied
    EXPECT_EQ(normalize_readout("/LGZ4ZMF100AC.M26\n" + data_lines_of(raw, "\n")), raw);
    // the framed block without its identification line (a capture that starts at STX)
    EXPECT_EQ(normalize_readout(raw.substr(raw.find('\x02'))), expected);
    // a byte-order mark of an editor is skipped
    EXPECT_EQ(normalize_readout("\xEF\xBB\xBF/LGZ4ZMF100AC.M26\r\n" + data_lines_of(raw, "\r\n")), raw);
}

TEST(ReadoutNormalize, HandComputedBcc) {
    // BCC of "1.8.0(1*kWh)" CR LF "!" CR LF ETX: the pairs '1' '1', '.' '.', CR CR, LF LF cancel;
    // 0x38^0x30 = 08, ^28 ('(') = 20, ^2A ('*') = 0A, ^6B ('k') = 61, ^57 ('W') = 36, ^68 ('h') = 5E,
    // ^29 (')') = 77, ^21 ('!') = 56, ^03 (ETX) = 55 → 'U'.
    EXPECT_EQ(normalize_readout("1.8.0(1*kWh)\n"), std::string("/XXX0METERCERT\r\n\x02" "1.8.0(1*kWh)\r\n!\r\n\x03U"));
    const Readout r = parse_readout(normalize_readout(std::string_view("1.8.0(1*kWh)")));
    EXPECT_EQ(r.bcc, 0x55);
    EXPECT_EQ(r.manufacturer, "XXX");
    EXPECT_EQ(r.identification, "METERCERT");
}

TEST(ReadoutNormalize, EveryMalformedFormIsNamedWithLineAndColumn) {
    const std::string raw = file("obis/lgz-zmf100ac-m26.readout");
    EXPECT_EQ(rejected(""), (Where{"empty", 1, 1}));
    EXPECT_EQ(rejected(" \r\n\n"), (Where{"empty", 1, 1}));
    EXPECT_EQ(rejected(std::string("1.8.0(12\0" "3*kWh)\n", 16)), (Where{"not_text", 1, 9}));  // NUL
    EXPECT_EQ(rejected("1.8.0(1)\n2.8.0(\xB5)\n"), (Where{"not_text", 2, 7}));              // 8-bit byte
    EXPECT_EQ(rejected("1.8.0(1\t*kWh)\n"), (Where{"not_text", 1, 8}));                       // TAB
    EXPECT_EQ(rejected("1.8.0(1)\r2.8.0(2)\n"), (Where{"bad_line_end", 1, 9}));
    EXPECT_EQ(rejected("1.8.0(1)\n\n2.8.0(2)\n"), (Where{"bad_data_line", 2, 1}));
    EXPECT_EQ(rejected("1.8.0[1]\n"), (Where{"bad_data_line", 1, 1}));
    EXPECT_EQ(rejected("1.8.0(1)x\n"), (Where{"bad_data_line", 1, 9}));
    EXPECT_EQ(rejected("1.8.0(1)\n1.X.0(2)\n"), (Where{"bad_obis_code", 2, 1}));
    EXPECT_EQ(rejected("1.8.0(1*kWh\n"), (Where{"unterminated_value", 1, 6}));
    EXPECT_EQ(rejected("1.8.0((1)\n"), (Where{"unterminated_value", 1, 6}));
    EXPECT_EQ(rejected("1.8.0(1)\n\x03"), (Where{"missing_stx", 2, 1}));
    EXPECT_EQ(rejected("1.8.0(1)\r\n!\r\n\x03\x18"), (Where{"missing_stx", 3, 1}));  // framed, STX lost
    EXPECT_EQ(rejected("1.8.0(\x02)\n"), (Where{"bad_data_line", 1, 7}));
    EXPECT_EQ(rejected("1.8.0(1)\n!\n2.8.0(2)\n"), (Where{"trailing_data", 3, 1}));
    EXPECT_EQ(rejected("/LGZ4ZMF100AC.M26\r\n"), (Where{"no_data_lines", 2, 1}));
    EXPECT_EQ(rejected("!\r\n"), (Where{"no_data_lines", 1, 1}));
    // identification: "/LG4" has 3 characters after '/', the line end is column 5
    EXPECT_EQ(rejected("/LG4\n1.8.0(1)\n"), (Where{"bad_identification", 1, 5}));
    EXPECT_EQ(rejected("/L1Z4ZMF\n1.8.0(1)\n"), (Where{"bad_identification", 1, 3}));
    EXPECT_EQ(rejected("/LGZ4AB!C\n1.8.0(1)\n"), (Where{"bad_identification", 1, 8}));
    EXPECT_EQ(rejected("/LGZ4ZMF100AC.M26"), (Where{"bad_identification", 1, 18}));
    EXPECT_EQ(rejected("\xEF\xBB\xBF/LG4\n1.8.0(1)\n"), (Where{"bad_identification", 1, 8}));  // BOM = columns 1–3

    // framed forms; the real readout: line 1 identification, line 2 STX + F.F, …, line 23 C.5.0,
    // line 24 "!", line 25 ETX (column 1) and BCC (column 2)
    std::string flipped = raw;
    flipped[flipped.find("(241*V)") + 1] = '3';  // '2' → '3': one bit (0x01) differs, BCC no longer 0x01
    EXPECT_EQ(rejected(flipped), (Where{"bad_bcc", 25, 2}));
    EXPECT_EQ(rejected(lf(flipped)), (Where{"bad_bcc", 25, 2}));
    std::string wrong_bcc = raw;
    wrong_bcc.back() = '\x02';
    EXPECT_EQ(rejected(wrong_bcc), (Where{"bad_bcc", 25, 2}));
    EXPECT_EQ(rejected(raw.substr(0, raw.size() - 1)), (Where{"missing_bcc", 25, 2}));
    EXPECT_EQ(rejected(raw.substr(0, raw.size() - 2)), (Where{"missing_etx", 25, 1}));
    EXPECT_EQ(rejected(raw.substr(0, raw.find('!'))), (Where{"missing_end", 24, 1}));
    EXPECT_EQ(rejected(raw.substr(0, raw.find("C.5.0") + 5)), (Where{"bad_data_line", 23, 1}));  // no line end
    EXPECT_EQ(rejected(raw + "xyz"), (Where{"trailing_data", 25, 3}));
    std::string etx_early = raw;
    etx_early.replace(etx_early.find("!\r\n"), 3, "");
    EXPECT_EQ(rejected(etx_early), (Where{"missing_end", 24, 1}));
    try {
        normalize_readout(std::string(flipped));
        FAIL();
    } catch (const ReadoutError& e) {
        // '2' (0x32) → '3' (0x33) flips bit 0 of the XOR: 0x01 → 0x00
        EXPECT_STREQ(e.what(), "line 25, column 2: bad_bcc: computed 0x00, readout says 0x01");
    }
}

TEST(ReadoutNormalize, FiftyMegabytesOfGarbageFailFastAtTheFirstBadByte) {
    // 50 MB: two good lines, then random bytes whose first is 0x80 at line 2, column 7.
    std::string junk = "1.8.0(1*kWh)\r\n2.8.0(";
    junk.reserve(50u << 20);
    junk += '\x80';
    std::uint32_t x = 12345;
    while (junk.size() < (50u << 20)) {
        x = x * 1664525u + 1013904223u;
        junk += static_cast<char>(x >> 24);
    }
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(rejected(junk), (Where{"not_text", 2, 7}));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));  // stops at the first bad byte
    // valid lines beyond the limit: too_long where byte 1 048 576 (0-based) lies. Lines of 21 bytes:
    // 1048576 = 49932·21 + 4 → line 49933, column 5.
    std::string lines;
    while (lines.size() < (2u << 20)) lines += "1.8.0(00001.000*kWh)\n";
    EXPECT_EQ(rejected(lines), (Where{"too_long", 49933, 5}));
}

TEST(ReadoutNormalize, WireParserIsStrict) {
    const std::string raw = file("obis/lgz-zmf100ac-m26.readout");
    auto where = [](const std::string& s) -> Where {
        try {
            parse_readout(s);
            return {"accepted", 0, 0};
        } catch (const ReadoutError& e) {
            return {e.name, e.line, e.column};
        }
    };
    EXPECT_EQ(where(""), (Where{"empty", 1, 1}));
    EXPECT_EQ(where(lf(raw)), (Where{"bad_line_end", 1, 18}));  // "/LGZ4ZMF100AC.M26" is 17 bytes
    EXPECT_EQ(where(raw + "\n"), (Where{"trailing_data", 25, 3}));
    std::string nul = raw;
    nul[nul.find("M26)") + 1] = '\0';  // line 22 "0.2.0(M26)": 'M' is column 7, '2' column 8
    EXPECT_EQ(where(nul), (Where{"not_text", 22, 8}));
}
