#include "metercert/mbus/link.hpp"

#include <gtest/gtest.h>

#include "metercert/mbus/tables.hpp"

using namespace metercert::mbus;

TEST(Link, CFieldNamesOfTheCmi1020Manual) {
    // CMi1020 manual §6.7.1–6.7.3: SND_NKE 0x40, REQ_UD2 0x4B/5B/6B/7B, SND_UD 0x53/0x73, RSP_UD 0x08.
    EXPECT_EQ(CField{0x40}.name(), "SND_NKE");
    for (int c : {0x4B, 0x5B, 0x6B, 0x7B}) EXPECT_EQ(CField{static_cast<std::uint8_t>(c)}.name(), "REQ_UD2") << c;
    for (int c : {0x5A, 0x7A}) EXPECT_EQ(CField{static_cast<std::uint8_t>(c)}.name(), "REQ_UD1");
    for (int c : {0x53, 0x73}) EXPECT_EQ(CField{static_cast<std::uint8_t>(c)}.name(), "SND_UD");
    EXPECT_EQ(CField{0x43}.name(), "SND_UD2");
    for (int c : {0x08, 0x18, 0x28, 0x38}) EXPECT_EQ(CField{static_cast<std::uint8_t>(c)}.name(), "RSP_UD");
    EXPECT_EQ(CField{0x50}.name(), "unknown");
    EXPECT_EQ(CField{0xC0}.name(), "unknown");
}

TEST(Link, CFieldBits) {
    const CField req{0x7B};
    EXPECT_TRUE(req.prm());
    EXPECT_TRUE(req.fcb());
    EXPECT_TRUE(req.fcv());
    EXPECT_EQ(req.function(), 0xB);
    const CField rsp{0x38};
    EXPECT_FALSE(rsp.prm());
    EXPECT_TRUE(rsp.acd());
    EXPECT_TRUE(rsp.dfc());
    EXPECT_FALSE(rsp.fcb());
}

TEST(Link, AddressKinds) {
    EXPECT_EQ(address_kind(0), AddressKind::unconfigured);
    EXPECT_EQ(address_kind(1), AddressKind::primary);
    EXPECT_EQ(address_kind(250), AddressKind::primary);
    EXPECT_EQ(address_kind(251), AddressKind::reserved);
    EXPECT_EQ(address_kind(252), AddressKind::reserved);
    EXPECT_EQ(address_kind(253), AddressKind::selected);
    EXPECT_EQ(address_kind(254), AddressKind::broadcast_reply);
    EXPECT_EQ(address_kind(255), AddressKind::broadcast_no_reply);
}

TEST(Link, BaudRateCiCodes) {
    // CMi1020 §6.7.3: B8 300, B9 600, BA 1200, BB 2400, BC 4800, BD 9600; BE/BF per EN 13757-2.
    const unsigned want[] = {300, 600, 1200, 2400, 4800, 9600, 19200, 38400};
    for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(ci_baud_rate(static_cast<std::uint8_t>(0xB8 + i)), want[i]);
    EXPECT_FALSE(ci_baud_rate(0xB7));
    EXPECT_FALSE(ci_baud_rate(0x72));
    EXPECT_EQ(ci_info(0x72).header, 12);
    EXPECT_EQ(ci_info(0x7A).header, 4);
    EXPECT_EQ(ci_info(0x78).header, 0);
    EXPECT_TRUE(ci_info(0x76).msb_first);
    EXPECT_EQ(ci_info(0x01).name, "unknown");
}

TEST(Link, BuildersMatchTheManualsBytes) {
    // CMi1020 §6.7.1: 10 40 nn cs 16 with cs = C + A.
    EXPECT_EQ(build_short(0x40, 0x01), (std::vector<std::uint8_t>{0x10, 0x40, 0x01, 0x41, 0x16}));
    EXPECT_EQ(build_short(0x7B, 0xFD), (std::vector<std::uint8_t>{0x10, 0x7B, 0xFD, 0x78, 0x16}));
    // CMi1020 §6.7.3: 68 03 03 68 C A CI cs 16.
    EXPECT_EQ(build_long(0x53, 0x01, 0xB8, {}), (std::vector<std::uint8_t>{0x68, 0x03, 0x03, 0x68, 0x53, 0x01, 0xB8, 0x0C, 0x16}));
    std::vector<std::uint8_t> big(253, 0);
    EXPECT_THROW(build_long(0x08, 1, 0x72, big), DecodeFailure);
    big.resize(252);
    EXPECT_EQ(build_long(0x08, 1, 0x72, big).size(), 261u);
}

TEST(Link, ParseRejectsWithOffsets) {
    LinkFrame f;
    DecodeError e;
    const std::vector<std::uint8_t> ok{0x10, 0x40, 0x01, 0x41, 0x16};
    ASSERT_TRUE(parse_link(ok, f, e));
    EXPECT_EQ(f.kind, FrameKind::short_frame);
    EXPECT_EQ(f.a, 1);
    std::vector<std::uint8_t> two = ok;
    two.insert(two.end(), ok.begin(), ok.end());
    ASSERT_TRUE(parse_link_prefix(two, f, e));
    EXPECT_EQ(f.size, 5u);
    EXPECT_FALSE(parse_link(two, f, e));
    EXPECT_EQ(e.code, ErrorCode::trailing_bytes);
    EXPECT_EQ(e.offset, 5u);
    EXPECT_EQ(e.message().rfind("trailing_bytes at byte 5: ", 0), 0u);
}

TEST(Tables, ManufacturerPacking) {
    // CMi1020 §6.7.2.2: manufacturer "ELV" is sent as bytes 96 15 (0x1596 LSB first).
    EXPECT_EQ(manufacturer_code("ELV"), 0x1596);
    EXPECT_EQ(manufacturer_letters(0x1596), "ELV");
    EXPECT_EQ(manufacturer_code("LUG"), 0x32A7);
    EXPECT_FALSE(manufacturer_code("elv"));
    EXPECT_FALSE(manufacturer_code("EL"));
    EXPECT_EQ(manufacturer_letters(0x0421), "AAA");
}

TEST(Tables, MediumNames) {
    EXPECT_EQ(medium_name(0x02), "electricity");
    EXPECT_EQ(medium_name(0x07), "water");
    EXPECT_EQ(medium_name(0x04), "heat_outlet");
    EXPECT_EQ(medium_name(0x08), "heat_cost_allocator");
    EXPECT_EQ(medium_name(0x16), "cold_water");
    EXPECT_EQ(medium_name(0xFE), "reserved");
}

TEST(Tables, CombinableVifeScaleAndUnits) {
    // CMi1020 Table 6 row 33: FB 82 A2 73 = reactive energy kvarh, per hour, ×10^-3 → var ×1.
    const std::uint8_t v1[] = {0x82, 0xA2, 0x73};
    VibMeaning m = interpret_vib(0xFB, v1, 3);
    EXPECT_EQ(m.quantity, "reactive_power");
    EXPECT_EQ(m.unit_view(), "var");
    EXPECT_EQ(m.scale, (Decimal{1, 0}));
    // VIF 0x43: m3/min ×10^-4 → m3/h ×60×10^-4
    m = interpret_vib(0x43, nullptr, 0);
    EXPECT_EQ(m.unit_view(), "m3/h");
    EXPECT_EQ(m.scale, (Decimal{60, -4}));
    // FD 0x17 is a bit field
    const std::uint8_t v2[] = {0x17};
    EXPECT_TRUE(interpret_vib(0xFD, v2, 1).bitfield);
    // 0xFD without its code is reserved, not a crash
    EXPECT_EQ(interpret_vib(0xFD, nullptr, 0).quantity, "reserved");
    EXPECT_EQ(vife_description(0x3B), "forward flow");
    EXPECT_EQ(vife_description(0xBC), "backward flow");
    EXPECT_EQ(vife_description(0x73), "multiplicative correction 10^-3");
}
