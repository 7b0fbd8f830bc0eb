// LwM2M TLV (TS 1.1 Core §7.4.3) against the specification's printed examples (the Device object
// of TS 1.0 §6.4.3.1 / §6.4.3.2 A, the Server, ACL and Objlnk examples of §6.4.3.2 B/C and
// §6.4.3.3, as Leshan's and Wakaama's test suites reproduce them) and against tshark's LwM2M-TLV
// dissector. Expected bytes and values are the specification's, never our encoder's output.
#include "metercert/lwm2m/tlv.hpp"

#include <gtest/gtest.h>

#include "../testing/hex.hpp"
#include "tshark.hpp"

using namespace metercert::lwm2m;
using metercert::testing::hex;

namespace {

// TS 1.0 §6.4.3.1: Read /3/0 answered as resources (no Object Instance TLV)
const auto kDeviceResources = hex(
    "C800144F70656E204D6F62696C6520416C6C69616E6365"          // 0 Manufacturer "Open Mobile Alliance"
    "C801164C69676874776569676874204D324D20436C69656E74"      // 1 Model Number "Lightweight M2M Client"
    "C80209333435303030313233"                                // 2 Serial Number "345000123"
    "C303312E30"                                              // 3 Firmware Version "1.0"
    "86064100014101 05"                                       // 6 Available Power Sources [0]=1 [1]=5
    "88070842000ED842011388"                                  // 7 Power Source Voltage [0]=3800 [1]=5000
    "8708 41007D 42010384"                                    // 8 Power Source Current [0]=125 [1]=900
    "C10964"                                                  // 9 Battery Level 100
    "C10A0F"                                                  // 10 Memory Free 15
    "830B410000"                                              // 11 Error Code [0]=0
    "C40D5182428F"                                            // 13 Current Time 1367491215
    "C60E2B30323A3030"                                        // 14 UTC Offset "+02:00"
    "C11055");                                                // 16 Supported Binding "U"
// §6.4.3.2 A: the same inside an Object Instance TLV of 121 bytes
std::vector<std::uint8_t> device_with_instance() {
    auto b = hex("080079");
    b.insert(b.end(), kDeviceResources.begin(), kDeviceResources.end());
    return b;
}
const auto kAcl = hex("08000EC10001C101008302417F07C1037F080212C10003C101008702417F0761013601C1037F");  // §6.4.3.2 B
const auto kServer = hex("08000FC10001C40100015180C10601C10755");                                      // §6.4.3.2 C
const auto kObj65 = hex("88000C440000420000440100420001C8010D38363133383030373535353030C40212345678");  // §6.4.3.3 1)
const auto kObj66 = hex("080026C8000B6D79536572766963652031C8010F496E7465726E65742E31352E323334C40200430000"
                        "080126C8000B6D79536572766963652032C8010F496E7465726E65742E31352E323335C402FFFFFFFF");  // §6.4.3.3 2)

Value val(const Tlv& t, Type ty) {
    Value v;
    Error e;
    EXPECT_TRUE(decode_tlv_value(t.value, ty, t.offset, v, e)) << e.message();
    return v;
}
Bytes enc(const Value& v, Type t) { return encode_tlv_value(v, t); }
Tlv res(std::uint16_t id, const Value& v, Type t) { return Tlv{TlvKind::resource_value, id, enc(v, t), {}, 0}; }
Tlv inst(std::uint16_t id, const Value& v, Type t) { return Tlv{TlvKind::resource_instance, id, enc(v, t), {}, 0}; }
Tlv multi(std::uint16_t id, std::vector<Tlv> c) { return Tlv{TlvKind::multiple_resource, id, {}, std::move(c), 0}; }
Tlv obj(std::uint16_t id, std::vector<Tlv> c) { return Tlv{TlvKind::object_instance, id, {}, std::move(c), 0}; }

std::vector<Tlv> device_example_items() {  // the example's values, typed from the specification's table
    return {res(0, std::string("Open Mobile Alliance"), Type::string),
            res(1, std::string("Lightweight M2M Client"), Type::string),
            res(2, std::string("345000123"), Type::string),
            res(3, std::string("1.0"), Type::string),
            multi(6, {inst(0, std::int64_t{1}, Type::integer), inst(1, std::int64_t{5}, Type::integer)}),
            multi(7, {inst(0, std::int64_t{3800}, Type::integer), inst(1, std::int64_t{5000}, Type::integer)}),
            multi(8, {inst(0, std::int64_t{125}, Type::integer), inst(1, std::int64_t{900}, Type::integer)}),
            res(9, std::int64_t{100}, Type::integer),
            res(10, std::int64_t{15}, Type::integer),
            multi(11, {inst(0, std::int64_t{0}, Type::integer)}),
            res(13, std::int64_t{1367491215}, Type::time),
            res(14, std::string("+02:00"), Type::string),
            res(16, std::string("U"), Type::string)};
}

TEST(Tlv, DecodesTheDeviceObjectExampleOfTheSpecification) {
    std::vector<Tlv> t;
    Error e;
    ASSERT_TRUE(decode_tlv(device_with_instance(), t, e)) << e.message();
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0].kind, TlvKind::object_instance);
    EXPECT_EQ(t[0].id, 0);
    const auto& r = t[0].children;
    ASSERT_EQ(r.size(), 13u);
    EXPECT_EQ(std::get<std::string>(val(r[0], Type::string)), "Open Mobile Alliance");
    EXPECT_EQ(std::get<std::string>(val(r[2], Type::string)), "345000123");
    EXPECT_EQ(r[4].kind, TlvKind::multiple_resource);
    EXPECT_EQ(r[4].id, 6);
    ASSERT_EQ(r[4].children.size(), 2u);
    EXPECT_EQ(std::get<std::int64_t>(val(r[4].children[1], Type::integer)), 5);
    EXPECT_EQ(std::get<std::int64_t>(val(r[5].children[0], Type::integer)), 3800);
    EXPECT_EQ(std::get<std::int64_t>(val(r[6].children[1], Type::integer)), 900);
    EXPECT_EQ(std::get<std::int64_t>(val(r[10], Type::time)), 1367491215);
    EXPECT_EQ(std::get<std::string>(val(r[11], Type::string)), "+02:00");
    EXPECT_EQ(r[12].id, 16);
    EXPECT_EQ(r[0].offset, 3u);  // after the Object Instance header 08 00 79
}

TEST(Tlv, EncodesTheDeviceObjectExampleByteForByte) {
    const auto items = device_example_items();
    EXPECT_EQ(encode_tlv(items), kDeviceResources);
    const std::vector<Tlv> wrapped = {obj(0, items)};
    EXPECT_EQ(encode_tlv(wrapped), device_with_instance());
}

TEST(Tlv, ServerAclAndObjlnkExamples) {
    std::vector<Tlv> t;
    Error e;
    ASSERT_TRUE(decode_tlv(kServer, t, e)) << e.message();
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(std::get<std::int64_t>(val(t[0].children[1], Type::integer)), 86400);  // Lifetime
    EXPECT_EQ(std::get<bool>(val(t[0].children[2], Type::boolean)), true);          // Notification Storing
    EXPECT_EQ(std::get<std::string>(val(t[0].children[3], Type::string)), "U");
    EXPECT_EQ(encode_tlv(std::vector<Tlv>{obj(0, {res(0, std::int64_t{1}, Type::integer), res(1, std::int64_t{86400}, Type::integer),
                                                   res(6, true, Type::boolean), res(7, std::string("U"), Type::string)})}),
              kServer);

    ASSERT_TRUE(decode_tlv(kAcl, t, e)) << e.message();
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[1].id, 2);
    const auto& acl = t[1].children[2];  // 2/2/2 ACL: [127]=7, [310]=1 (a 16-bit resource instance id)
    ASSERT_EQ(acl.children.size(), 2u);
    EXPECT_EQ(acl.children[1].id, 310);
    EXPECT_EQ(std::get<std::int64_t>(val(acl.children[0], Type::integer)), 7);
    EXPECT_EQ(encode_tlv(std::vector<Tlv>{multi(2, {inst(127, std::int64_t{7}, Type::integer), inst(310, std::int64_t{1}, Type::integer)})}),
              hex("8702417F0761013601"));

    ASSERT_TRUE(decode_tlv(kObj65, t, e)) << e.message();
    EXPECT_EQ(std::get<ObjectLink>(val(t[0].children[1], Type::objlnk)), (ObjectLink{66, 1}));
    EXPECT_EQ(std::get<std::int64_t>(val(t[2], Type::integer)), 305419896);
    ASSERT_TRUE(decode_tlv(kObj66, t, e)) << e.message();
    EXPECT_EQ(std::get<ObjectLink>(val(t[1].children[2], Type::objlnk)), (ObjectLink{65535, 65535}));  // the null link
    EXPECT_EQ(encode_tlv(std::vector<Tlv>{res(2, ObjectLink{67, 0}, Type::objlnk)}), hex("C40200430000"));
}

TEST(Tlv, SixteenBitIdsAndLongLengths) {
    // TS 1.1 §7.4.3 example of a 16-bit resource id: 5850 (Light Control On/Off) = true
    EXPECT_EQ(encode_tlv(std::vector<Tlv>{res(5850, true, Type::boolean)}), hex("E116DA01"));
    // lengths of 8, 16 and 24 bits: 300 bytes → 16-bit length field (bits 4-3 = 10)
    const Bytes big(300, 0xAB);
    const auto b = encode_tlv(std::vector<Tlv>{res(1, big, Type::opaque)});
    EXPECT_EQ(Bytes(b.begin(), b.begin() + 4), hex("D001012C"));
    const Bytes huge(70000, 0x01);  // 0x011170 → 24-bit length field (bits 4-3 = 11)
    const auto h = encode_tlv(std::vector<Tlv>{res(33906, huge, Type::opaque)});
    EXPECT_EQ(Bytes(h.begin(), h.begin() + 6), hex("F8 8472 011170"));
    std::vector<Tlv> t;
    Error e;
    ASSERT_TRUE(decode_tlv(h, t, e)) << e.message();
    EXPECT_EQ(t[0].id, 33906);
    EXPECT_EQ(t[0].value.size(), 70000u);
}

TEST(Tlv, ValueEncodingsOfEachType) {
    // Integer: the fewest of 1/2/4/8 bytes, two's complement (TS 1.1 Appendix C)
    EXPECT_EQ(enc(std::int64_t{-1}, Type::integer), hex("FF"));
    EXPECT_EQ(enc(std::int64_t{127}, Type::integer), hex("7F"));
    EXPECT_EQ(enc(std::int64_t{128}, Type::integer), hex("0080"));
    EXPECT_EQ(enc(std::int64_t{-32769}, Type::integer), hex("FFFF7FFF"));
    EXPECT_EQ(enc(std::int64_t{1LL << 40}, Type::integer), hex("0000010000000000"));
    // Float: binary32 when it holds the value exactly, else binary64 (IEEE 754)
    EXPECT_EQ(enc(1.5, Type::float_), hex("3FC00000"));
    EXPECT_EQ(enc(0.1, Type::float_), hex("3FB999999999999A"));
    EXPECT_EQ(enc(false, Type::boolean), hex("00"));
    Value v;
    Error e;
    ASSERT_TRUE(decode_tlv_value(hex("FFFE"), Type::integer, 0, v, e));
    EXPECT_EQ(std::get<std::int64_t>(v), -2);
    ASSERT_TRUE(decode_tlv_value(hex("8000000000000000"), Type::integer, 0, v, e));
    EXPECT_EQ(std::get<std::int64_t>(v), INT64_MIN);
    ASSERT_TRUE(decode_tlv_value(hex("FFFF"), Type::unsigned_integer, 0, v, e));
    EXPECT_EQ(std::get<std::int64_t>(v), 65535);
    ASSERT_TRUE(decode_tlv_value(hex("40490FDB"), Type::float_, 0, v, e));
    EXPECT_FLOAT_EQ(static_cast<float>(std::get<double>(v)), 3.14159274f);
    ASSERT_TRUE(decode_tlv_value(hex("400921FB54442D18"), Type::float_, 0, v, e));
    EXPECT_DOUBLE_EQ(std::get<double>(v), 3.141592653589793);
}

TEST(Tlv, RefusalsNameWhatAndWhere) {
    std::vector<Tlv> t;
    Error e;
    // the Device example cut inside Resource 0's value: 20 bytes declared at offset 6
    auto cut = device_with_instance();
    cut.resize(10);
    EXPECT_FALSE(decode_tlv(cut, t, e));
    EXPECT_EQ(e.code, ErrorCode::truncated);
    EXPECT_EQ(e.offset, 3u);  // the Object Instance's 121 bytes start at 3 and run past the end
    // a header cut short: 16-bit id with one byte
    EXPECT_FALSE(decode_tlv(hex("E116"), t, e));
    EXPECT_EQ(e.code, ErrorCode::truncated);
    EXPECT_EQ(e.offset, 1u);
    // a child that runs past its Multiple Resource (declared 3 bytes, child needs 4)
    EXPECT_FALSE(decode_tlv(hex("8306 410001 00"), t, e));
    EXPECT_EQ(e.code, ErrorCode::truncated);
    // nesting: an Object Instance inside an Object Instance; a Resource Instance inside an Object Instance
    EXPECT_FALSE(decode_tlv(hex("0200 0001"), t, e));
    EXPECT_EQ(e.code, ErrorCode::bad_nesting);
    EXPECT_EQ(e.offset, 2u);
    EXPECT_FALSE(decode_tlv(hex("0300 410001"), t, e));
    EXPECT_EQ(e.code, ErrorCode::bad_nesting);
    // Resource 1 twice (once with value, once multiple)
    EXPECT_FALSE(decode_tlv(hex("C10101 8301 410001"), t, e));
    EXPECT_EQ(e.code, ErrorCode::duplicate);
    EXPECT_EQ(e.offset, 3u);
    Value v;
    EXPECT_FALSE(decode_tlv_value(hex("000001"), Type::integer, 9, v, e));
    EXPECT_EQ(e.code, ErrorCode::bad_length);
    EXPECT_EQ(e.offset, 9u);
    EXPECT_FALSE(decode_tlv_value(hex("02"), Type::boolean, 0, v, e));
    EXPECT_EQ(e.code, ErrorCode::bad_value);
    EXPECT_FALSE(decode_tlv_value(hex("001122"), Type::float_, 0, v, e));
    EXPECT_EQ(e.code, ErrorCode::bad_length);
    EXPECT_FALSE(decode_tlv_value(hex("FFFFFFFFFFFFFFFF"), Type::unsigned_integer, 0, v, e));
    EXPECT_EQ(e.code, ErrorCode::out_of_range);
    EXPECT_FALSE(decode_tlv_value(hex("41C3"), Type::string, 4, v, e));
    EXPECT_EQ(e.code, ErrorCode::bad_utf8);
    EXPECT_EQ(e.offset, 5u);
    EXPECT_FALSE(decode_tlv_value(hex("004200"), Type::objlnk, 0, v, e));
    EXPECT_EQ(e.code, ErrorCode::bad_length);
    EXPECT_THROW(encode_tlv_value(std::string("x"), Type::integer), std::invalid_argument);
    EXPECT_THROW(encode_tlv(std::vector<Tlv>{Tlv{TlvKind::object_instance, 0, {1}, {}, 0}}), std::invalid_argument);
}

TEST(Tlv, EmptyInputIsNoItems) {
    std::vector<Tlv> t{Tlv{}};
    Error e;
    EXPECT_TRUE(decode_tlv({}, t, e));
    EXPECT_TRUE(t.empty());
}

// Wireshark's LwM2M-TLV dissector reads what our encoder writes as the values the test typed in
TEST(Tlv, TsharkDissectsOurEncoding) {
    const std::vector<Tlv> items = {obj(0, {res(0, std::string("Elvaco"), Type::string),
                                            multi(7, {inst(0, std::int64_t{3600}, Type::integer)}),
                                            res(13, std::int64_t{1700000000}, Type::time),
                                            res(300, std::int64_t{-5}, Type::integer),
                                            res(17, 0.5, Type::float_),
                                            res(18, Bytes(260, 0x5A), Type::opaque)})};
    const auto f = metercert::lwm2m::testing::tshark_fields(encode_tlv(items), content_format::tlv,
                                          {"lwm2mtlv.type.type", "lwm2mtlv.identifier", "lwm2mtlv.value.string",
                                           "lwm2mtlv.value.integer", "lwm2mtlv.value.float", "lwm2mtlv.length"});
    if (!f) GTEST_SKIP() << "tshark not installed";
    EXPECT_EQ((*f)[0], "0,3,2,1,3,3,3,3");              // Object Instance, Resource, Multiple, Resource Instance, …
    EXPECT_EQ((*f)[1], "0,0,7,0,13,300,17,18");
    EXPECT_NE((*f)[2].find("Elvaco"), std::string::npos);
    EXPECT_NE((*f)[3].find("3600,1700000000,-5"), std::string::npos);
    EXPECT_NE((*f)[4].find("0.5"), std::string::npos);  // (the dissector also shows 4-byte values as Float)
    EXPECT_NE((*f)[5].find("260"), std::string::npos);  // a 16-bit Length field
}

}  // namespace
