// LwM2M content formats (TS 1.1 Core §7.4) against the specification's examples (the Device object
// read of §7.4.3 in TLV and of §7.4.4 in SenML-JSON, its SenML-CBOR diagnostic form of §7.4.5)
// and against an independent CBOR implementation (Python's cbor2, Debian python3-cbor2).
#include "metercert/lwm2m/content.hpp"

#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../testing/hex.hpp"
#include "tshark.hpp"

using namespace metercert::lwm2m;
using metercert::testing::hex;

namespace {

// The Device object's resources as TS 1.1 Appendix E.4 defines them (type, multiple)
std::optional<ResourceInfo> device_types(const Path& p) {
    if (p.object_id() != 3 || p.instance_id() != 0) return std::nullopt;
    switch (p.resource_id()) {
        case 0: case 1: case 2: case 3: case 14: case 15: case 16: return ResourceInfo{Type::string, false};
        case 6: case 7: case 8: case 11: return ResourceInfo{Type::integer, true};
        case 9: case 10: case 21: return ResourceInfo{Type::integer, false};
        case 13: return ResourceInfo{Type::time, false};
        default: return std::nullopt;
    }
}
// An object of our own for the other types: 5/0/0 Opaque, /1 Float, /2 Boolean, /3 Objlnk, /4 Unsigned
std::optional<ResourceInfo> misc_types(const Path& p) {
    if (p.object_id() == 3) return device_types(p);
    if (p.object_id() != 5 || p.instance_id() != 0) return std::nullopt;
    static constexpr Type t[] = {Type::opaque, Type::float_, Type::boolean, Type::objlnk, Type::unsigned_integer};
    if (p.resource_id() > 4) return std::nullopt;
    return ResourceInfo{t[p.resource_id()], false};
}

Path P(std::string_view s) { return *parse_path(s); }
Entry E(std::string_view p, Value v) { return Entry{P(p), std::move(v)}; }

// TS 1.1 §7.4.4: the SenML-JSON read of /3/0
const char* kDeviceJson = R"([{"bn":"/3/0/","n":"0","vs":"Open Mobile Alliance"},
 {"n":"1","vs":"Lightweight M2M Client"},{"n":"2","vs":"345000123"},{"n":"3","vs":"1.0"},
 {"n":"6/0","v":1},{"n":"6/1","v":5},{"n":"7/0","v":3800},{"n":"7/1","v":5000},
 {"n":"8/0","v":125},{"n":"8/1","v":900},{"n":"9","v":100},{"n":"10","v":15},{"n":"11/0","v":0},
 {"n":"13","v":1367491215},{"n":"14","vs":"+02:00"},{"n":"16","vs":"U"}])";

std::vector<Entry> device_entries() {  // the example's values (TS 1.1 §7.4.3 / §7.4.4)
    using I = std::int64_t;
    return {E("/3/0/0", std::string("Open Mobile Alliance")), E("/3/0/1", std::string("Lightweight M2M Client")),
            E("/3/0/2", std::string("345000123")), E("/3/0/3", std::string("1.0")),
            E("/3/0/6/0", I{1}), E("/3/0/6/1", I{5}), E("/3/0/7/0", I{3800}), E("/3/0/7/1", I{5000}),
            E("/3/0/8/0", I{125}), E("/3/0/8/1", I{900}), E("/3/0/9", I{100}), E("/3/0/10", I{15}), E("/3/0/11/0", I{0}),
            E("/3/0/13", I{1367491215}), E("/3/0/14", std::string("+02:00")), E("/3/0/16", std::string("U"))};
}
const auto kDeviceTlv = hex(
    "C800144F70656E204D6F62696C6520416C6C69616E6365C801164C69676874776569676874204D324D20436C69656E74"
    "C80209333435303030313233C303312E30860641000141010588070842000ED842011388870841007D42010384C10964"
    "C10A0F830B410000C40D5182428FC60E2B30323A3030C11055");

TEST(Content, TlvDeviceExampleBothWays) {
    std::vector<Entry> got;
    Error e;
    ASSERT_TRUE(decode_content(content_format::tlv, P("/3/0"), kDeviceTlv, device_types, got, e)) << e.message();
    EXPECT_EQ(got, device_entries());
    auto wrapped = hex("080079");
    wrapped.insert(wrapped.end(), kDeviceTlv.begin(), kDeviceTlv.end());
    ASSERT_TRUE(decode_content(content_format::tlv, P("/3"), wrapped, device_types, got, e)) << e.message();
    EXPECT_EQ(got, device_entries());
    ASSERT_TRUE(decode_content(content_format::tlv, P("/3/0"), wrapped, device_types, got, e)) << e.message();  // instance TLV at instance level
    EXPECT_EQ(got, device_entries());
    Bytes out;
    const auto entries = device_entries();
    ASSERT_TRUE(encode_content(content_format::tlv, P("/3/0"), entries, out, e)) << e.message();
    EXPECT_EQ(out, kDeviceTlv);
    ASSERT_TRUE(encode_content(content_format::tlv, P("/3"), entries, out, e)) << e.message();
    EXPECT_EQ(out, wrapped);
    // a multiple resource read: one Multiple Resource TLV (the example's 86 06 …)
    const std::vector<Entry> ps = {E("/3/0/6/0", std::int64_t{1}), E("/3/0/6/1", std::int64_t{5})};
    ASSERT_TRUE(encode_content(content_format::tlv, P("/3/0/6"), ps, out, e));
    EXPECT_EQ(out, hex("8606410001410105"));
    ASSERT_TRUE(decode_content(content_format::tlv, P("/3/0/6"), hex("410001410105"), device_types, got, e)) << e.message();  // bare instances
    EXPECT_EQ(got, ps);
}

TEST(Content, TlvRefusalsForThePath) {
    std::vector<Entry> got;
    Error e;
    EXPECT_FALSE(decode_content(content_format::tlv, P("/3/0"), hex("C1 63 01"), device_types, got, e));  // resource 99
    EXPECT_EQ(e.code, ErrorCode::unknown_resource);
    EXPECT_FALSE(decode_content(content_format::tlv, P("/3/0"), hex("C1 06 01"), device_types, got, e));  // 6 is multiple
    EXPECT_EQ(e.code, ErrorCode::bad_nesting);
    EXPECT_FALSE(decode_content(content_format::tlv, P("/3/0/9"), hex("C1 0A 01"), device_types, got, e));  // id 10 for /3/0/9
    EXPECT_EQ(e.code, ErrorCode::path_mismatch);
    EXPECT_FALSE(decode_content(content_format::tlv, P("/3/0/9"), hex("C3 09 000001"), device_types, got, e));  // 3-byte Integer
    EXPECT_EQ(e.code, ErrorCode::bad_length);
    EXPECT_EQ(e.offset, 0u);
    EXPECT_FALSE(decode_content(content_format::tlv, P("/3"), kDeviceTlv, device_types, got, e));  // resources where instances belong
    EXPECT_EQ(e.code, ErrorCode::bad_nesting);
}

TEST(Content, SenmlJsonDeviceExampleBothWays) {
    std::vector<Entry> got;
    Error e;
    const std::string j = kDeviceJson;
    const Bytes in(j.begin(), j.end());
    ASSERT_TRUE(decode_content(content_format::senml_json, P("/3/0"), in, device_types, got, e)) << e.message();
    EXPECT_EQ(got, device_entries());
    Bytes out;
    ASSERT_TRUE(encode_content(content_format::senml_json, P("/3/0"), device_entries(), out, e));
    EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(j));  // the example's records, labels and values
    // a single resource at its own path: bn is the path, no n (ERRATA E-95); read back the same
    const std::vector<Entry> one = {E("/3/0/9", std::int64_t{100})};
    ASSERT_TRUE(encode_content(content_format::senml_json, P("/3/0/9"), one, out, e));
    EXPECT_EQ(std::string(out.begin(), out.end()), R"([{"bn":"/3/0/9","v":100}])");
}

TEST(Content, SenmlJsonOtherTypesAndRefusals) {
    std::vector<Entry> got;
    Error e;
    auto dec = [&](std::string_view path, std::string_view text) {
        return decode_content(content_format::senml_json, P(path), Bytes(text.begin(), text.end()), misc_types, got, e);
    };
    // RFC 4648 §5 base64url without padding: bytes FB FF → "-_8"; objlnk "vlo" (TS 1.1 §7.4.4)
    ASSERT_TRUE(dec("/5/0", R"([{"bn":"/5/0/","n":"0","vd":"-_8"},{"n":"1","v":2.5},{"n":"2","vb":true},{"n":"3","vlo":"66:1"},{"n":"4","v":7}])"))
        << e.message();
    EXPECT_EQ(got, (std::vector<Entry>{E("/5/0/0", Bytes{0xFB, 0xFF}), E("/5/0/1", 2.5), E("/5/0/2", true), E("/5/0/3", ObjectLink{66, 1}),
                                       E("/5/0/4", std::int64_t{7})}));
    EXPECT_FALSE(dec("/3/0", R"([{"bn":"/3/0/","n":"9","vs":"100"}])"));
    EXPECT_EQ(e.code, ErrorCode::wrong_type);
    EXPECT_FALSE(dec("/3/0", R"([{"bn":"/3/0/","n":"99","v":1}])"));
    EXPECT_EQ(e.code, ErrorCode::unknown_resource);
    EXPECT_FALSE(dec("/3/0", R"([{"bn":"/3/1/","n":"9","v":1}])"));
    EXPECT_EQ(e.code, ErrorCode::path_mismatch);
    EXPECT_FALSE(dec("/3/0", R"([{"bn":"/3/0/","n":"9","v":1.5}])"));
    EXPECT_EQ(e.code, ErrorCode::bad_value);
    EXPECT_FALSE(dec("/3/0", R"([{"bn":"/3/0/","n":"9","v":1,"x_":0}])"));
    EXPECT_EQ(e.code, ErrorCode::bad_value);
    EXPECT_FALSE(dec("/3/0", R"([{"bn":"/3/0/","n":"9","v":1},{"n":"9","v":2}])"));
    EXPECT_EQ(e.code, ErrorCode::duplicate);
    EXPECT_EQ(e.offset, 1u);  // record 1
    EXPECT_FALSE(dec("/3/0", R"([{"bn":"/3/0/",)"));
    EXPECT_EQ(e.code, ErrorCode::syntax);
    EXPECT_EQ(e.offset, 15u);  // the end of the 15-byte text
    EXPECT_FALSE(dec("/3/0", R"([{"bn":"/3/0/","n":"9","v":1e400}])"));  // beyond binary64 (found by lwm2m_fuzz)
    EXPECT_EQ(e.code, ErrorCode::syntax);
}

const char* kCbor2Dump = R"(import cbor2, sys
print(repr(cbor2.loads(bytes.fromhex(sys.argv[1]))))
)";

std::string hexs(const Bytes& b) {
    std::string s;
    for (auto x : b) s += fmt::format("{:02x}", x);
    return s;
}

TEST(Content, SenmlCborReadByCbor2AsTheSpecificationsDiagnosticForm) {
    Bytes out;
    Error e;
    ASSERT_TRUE(encode_content(content_format::senml_cbor, P("/3/0"), device_entries(), out, e));
    const auto r = metercert::lwm2m::testing::python(kCbor2Dump, hexs(out));
    if (!r) GTEST_SKIP() << "python3-cbor2 not available";
    // TS 1.1 §7.4.5: the /3/0 read of §7.4.4 with RFC 8428 Table 4's labels (bn -2, n 0, v 2, vs 3)
    EXPECT_EQ(*r,
              "[{-2: '/3/0/', 0: '0', 3: 'Open Mobile Alliance'}, {0: '1', 3: 'Lightweight M2M Client'}, {0: '2', 3: '345000123'}, "
              "{0: '3', 3: '1.0'}, {0: '6/0', 2: 1}, {0: '6/1', 2: 5}, {0: '7/0', 2: 3800}, {0: '7/1', 2: 5000}, {0: '8/0', 2: 125}, "
              "{0: '8/1', 2: 900}, {0: '9', 2: 100}, {0: '10', 2: 15}, {0: '11/0', 2: 0}, {0: '13', 2: 1367491215}, {0: '14', 3: '+02:00'}, "
              "{0: '16', 3: 'U'}]");
}

TEST(Content, SenmlCborWrittenByCbor2) {
    // cbor2 writes the pack (with a float, bytes, a boolean, vlo and an ignored time label)
    const auto b = metercert::lwm2m::testing::python(
        "import cbor2, sys\nprint(cbor2.dumps([{-2: '/5/0/', 0: '0', 8: b'\\x01\\x02', 6: 10}, {0: '1', 2: -0.25}, {0: '2', 4: False}, "
        "{0: '3', 'vlo': '3:0'}, {0: '4', 2: 4294967296}]).hex())\n", "");
    if (!b) GTEST_SKIP() << "python3-cbor2 not available";
    std::vector<Entry> got;
    Error e;
    ASSERT_TRUE(decode_content(content_format::senml_cbor, P("/5/0"), hex(*b), misc_types, got, e)) << e.message();
    EXPECT_EQ(got, (std::vector<Entry>{E("/5/0/0", Bytes{1, 2}), E("/5/0/1", -0.25), E("/5/0/2", false), E("/5/0/3", ObjectLink{3, 0}),
                                       E("/5/0/4", std::int64_t{4294967296})}));
    // refusals with offsets: truncated inside the first record's text; trailing bytes; indefinite length
    auto cut = hex(*b);
    cut.resize(8);
    EXPECT_FALSE(decode_content(content_format::senml_cbor, P("/5/0"), cut, misc_types, got, e));
    EXPECT_EQ(e.code, ErrorCode::truncated);
    auto more = hex(*b);
    more.push_back(0x00);
    EXPECT_FALSE(decode_content(content_format::senml_cbor, P("/5/0"), more, misc_types, got, e));
    EXPECT_EQ(e.code, ErrorCode::trailing_data);
    EXPECT_EQ(e.offset, more.size() - 1);
    EXPECT_FALSE(decode_content(content_format::senml_cbor, P("/5/0"), hex("9FFF"), misc_types, got, e));
    EXPECT_EQ(e.code, ErrorCode::syntax);
    EXPECT_FALSE(decode_content(content_format::senml_cbor, P("/5/0"), hex("9BFFFFFFFFFFFFFFFF"), misc_types, got, e));  // 2^64-1 items
    EXPECT_EQ(e.code, ErrorCode::truncated);
}

TEST(Content, TextAndOpaque) {
    std::vector<Entry> got;
    Error e;
    auto dec = [&](std::uint16_t f, std::string_view path, std::string_view text) {
        return decode_content(f, P(path), Bytes(text.begin(), text.end()), misc_types, got, e);
    };
    // TS 1.1 §7.4.1: numbers in decimal, Boolean "0"/"1", Opaque base64 ("AQIDBAU=" is 01 02 03 04 05), Objlnk "a:b"
    ASSERT_TRUE(dec(content_format::text, "/5/0/0", "AQIDBAU="));
    EXPECT_EQ(std::get<Bytes>(got[0].value), (Bytes{1, 2, 3, 4, 5}));
    ASSERT_TRUE(dec(content_format::text, "/3/0/13", "1367491215"));
    EXPECT_EQ(std::get<std::int64_t>(got[0].value), 1367491215);
    ASSERT_TRUE(dec(content_format::text, "/5/0/3", "66:65535"));
    EXPECT_EQ(std::get<ObjectLink>(got[0].value), (ObjectLink{66, 65535}));
    ASSERT_TRUE(dec(content_format::text, "/3/0/6/1", "5"));
    EXPECT_EQ(got[0].path, P("/3/0/6/1"));
    EXPECT_FALSE(dec(content_format::text, "/5/0/2", "true"));
    EXPECT_EQ(e.code, ErrorCode::bad_value);
    EXPECT_FALSE(dec(content_format::text, "/5/0/0", "AQ!D"));
    EXPECT_EQ(e.code, ErrorCode::bad_value);
    EXPECT_FALSE(dec(content_format::text, "/3/0/6", "5"));  // a multiple resource as one text value
    EXPECT_EQ(e.code, ErrorCode::not_representable);
    EXPECT_FALSE(dec(content_format::text, "/3/0", "5"));
    EXPECT_EQ(e.code, ErrorCode::not_representable);
    EXPECT_FALSE(dec(content_format::opaque, "/3/0/9", "5"));
    EXPECT_EQ(e.code, ErrorCode::not_representable);
    ASSERT_TRUE(dec(content_format::opaque, "/5/0/0", "\x01\xFF"));
    EXPECT_EQ(std::get<Bytes>(got[0].value), (Bytes{0x01, 0xFF}));
    Bytes out;
    const std::vector<Entry> f = {E("/5/0/1", 0.1)};
    ASSERT_TRUE(encode_content(content_format::text, P("/5/0/1"), f, out, e));
    EXPECT_EQ(std::string(out.begin(), out.end()), "0.1");
    const std::vector<Entry> o = {E("/5/0/0", Bytes{1, 2, 3, 4, 5})};
    ASSERT_TRUE(encode_content(content_format::text, P("/5/0/0"), o, out, e));
    EXPECT_EQ(std::string(out.begin(), out.end()), "AQIDBAU=");
    EXPECT_FALSE(encode_content(content_format::text, P("/3/0"), device_entries(), out, e));
    EXPECT_EQ(e.code, ErrorCode::not_representable);
    EXPECT_FALSE(encode_content(content_format::lwm2m_json, P("/3/0"), device_entries(), out, e));
    EXPECT_EQ(e.code, ErrorCode::unsupported_format);
}

}  // namespace
