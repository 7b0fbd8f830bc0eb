// The operation layer on the CMi6110 model. Expectations come from the CMi6110 manual (§6.3 Tables
// 1 and 2: objects, resources, operations, values such as Manufacturer "Elvaco"), LwM2M TS 1.1
// (response codes of §5.2/§5.4, the TLV and link-format rules, hand-encoded below) and the ERRATA
// entries E-92, E-95 … E-98 for the choices LwM2M leaves open.
#include "metercert/lwm2m/operations.hpp"

#include <gtest/gtest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../testing/hex.hpp"
#include "tshark.hpp"

using namespace metercert::lwm2m;
namespace cm = metercert::devices::cmi6110;
using metercert::testing::hex;

namespace {

Path P(std::string_view s) { return *parse_path(s); }
Bytes B(std::string_view s) { return Bytes(s.begin(), s.end()); }
std::string S(const Bytes& b) { return std::string(b.begin(), b.end()); }

struct Fixture : ::testing::Test {
    cm::DeviceConfig model{cm::FactoryData{"70B3D5E050000001", "1.2.3", "B", "secret-pak"}};
    ClientObjects objects{model};
    Response req(Operation op, std::string_view path, std::optional<std::uint16_t> accept = std::nullopt, std::optional<std::uint16_t> cf = std::nullopt,
                 Bytes payload = {}, Origin origin = Origin::dm, std::vector<std::string> query = {}) {
        return objects.handle(Request{op, P(path), cf, std::move(payload), accept, origin, std::move(query)});
    }
    Response read(std::string_view path, std::optional<std::uint16_t> accept = std::nullopt) { return req(Operation::read, path, accept); }
    Response write_text(std::string_view path, std::string_view text, Origin o = Origin::dm) {
        return req(o == Origin::dm ? Operation::write_replace : Operation::bootstrap_write, path, std::nullopt, content_format::text, B(text), o);
    }
};
using Ops = Fixture;

TEST_F(Ops, ReadsDeviceValuesOfTable1) {
    auto r = read("/3/0/0", content_format::text);
    EXPECT_EQ(r.code, code::content);
    EXPECT_EQ(r.content_format, content_format::text);
    EXPECT_EQ(S(r.payload), "Elvaco");
    r = read("/3/0/1");  // no Accept: TLV (E-95); Resource with Value, id 1, 7 bytes "CMi6110"
    EXPECT_EQ(r.content_format, content_format::tlv);
    EXPECT_EQ(r.payload, hex("C7 01 434D6936313130"));
    r = read("/4/0/0");  // Network Bearer 7 = NB-IoT
    EXPECT_EQ(r.payload, hex("C1 00 07"));
    r = read("/4/0/1");  // Available Network Bearer: multiple, instance 0 = 7 (Table 1 prints 4/0/1/0)
    EXPECT_EQ(r.payload, hex("83 01 41 00 07"));
    r = read("/33906/0/0", content_format::text);  // readout interval default 60 (§7.5 Table 11)
    EXPECT_EQ(S(r.payload), "60");
}

TEST_F(Ops, ObjectAndInstanceReadsHoldEveryReadableResource) {
    const auto r = read("/3/0", content_format::senml_json);
    ASSERT_EQ(r.code, code::content);
    EXPECT_EQ(r.content_format, content_format::senml_json);
    const auto j = nlohmann::json::parse(r.payload);
    EXPECT_EQ(j[0]["bn"], "/3/0/");
    std::map<std::string, nlohmann::json> byname;
    for (const auto& rec : j) byname[rec["n"].get<std::string>()] = rec;
    EXPECT_EQ(byname["0"]["vs"], "Elvaco");
    EXPECT_EQ(byname["1"]["vs"], "CMi6110");
    EXPECT_EQ(byname["2"]["vs"], "70B3D5E050000001");  // Serial Number = DevEUI (Table 1)
    EXPECT_EQ(byname["3"]["vs"], "1.2.3");
    EXPECT_EQ(byname["14"]["vs"], "+00:00");
    EXPECT_EQ(byname.count("4"), 0u);  // Reboot is E
    EXPECT_EQ(byname.count("13"), 0u); // Current Time: no value until set
    // the Security object: the secret keys are never part of a read (Appendix E.1)
    const auto sec = read("/0", content_format::senml_json);
    ASSERT_EQ(sec.code, code::content);
    EXPECT_EQ(S(sec.payload).find("\"n\":\"1/5\""), std::string::npos);
    EXPECT_EQ(S(sec.payload).find("\"n\":\"0/5\""), std::string::npos);
    EXPECT_NE(S(sec.payload).find("\"bn\":\"/0/\""), std::string::npos);
}

TEST_F(Ops, TsharkReadsTheDeviceInstanceWeServe) {
    const auto r = read("/3/0", content_format::tlv);
    const auto f = metercert::lwm2m::testing::tshark_fields(r.payload, content_format::tlv, {"lwm2mtlv.identifier", "lwm2mtlv.value.string"});
    if (!f) GTEST_SKIP() << "tshark not installed";
    EXPECT_EQ((*f)[1].substr(0, 33), "Elvaco,CMi6110,70B3D5E050000001,1");
}

TEST_F(Ops, Cbor2ReadsTheSenmlCborOfAnInstance) {
    const auto r = read("/33906/0", content_format::senml_cbor);
    ASSERT_EQ(r.code, code::content);
    std::string h;
    for (auto b : r.payload) h += fmt::format("{:02x}", b);
    // the first three records: bn "/33906/0/", then 0 Readout interval 60, 1 encoding 0, 2 frame type 42
    const auto out = metercert::lwm2m::testing::python("import cbor2, sys\nprint(repr(cbor2.loads(bytes.fromhex(sys.argv[1]))[:4]))\n", h);
    if (!out) GTEST_SKIP() << "python3-cbor2 not available";
    EXPECT_EQ(*out, "[{-2: '/33906/0/', 0: '0', 2: 60}, {0: '1', 2: 0}, {0: '2', 2: 42}, {0: '5', 4: False}]");
}

TEST_F(Ops, ReadRefusals) {
    EXPECT_EQ(read("/0/1/5").code, code::method_not_allowed);  // DM PSK (W): never readable
    EXPECT_EQ(read("/3/0/4").code, code::method_not_allowed);  // Reboot (E)
    EXPECT_EQ(read("/3/0/99").code, code::not_found);
    EXPECT_EQ(read("/3/1").code, code::not_found);
    EXPECT_EQ(read("/4242").code, code::not_found);
    EXPECT_EQ(read("/3/0/13").code, code::not_found);  // no value yet (E-92)
    EXPECT_EQ(read("/3/0/0", content_format::link).code, code::not_acceptable);
    EXPECT_EQ(read("/3/0/0", content_format::lwm2m_json).code, code::not_acceptable);
    EXPECT_EQ(read("/3/0/0", content_format::opaque).code, code::not_acceptable);  // a String as opaque
    EXPECT_EQ(read("/33906/0", content_format::text).code, code::not_acceptable);
}

TEST_F(Ops, WritesThroughTheModel) {
    EXPECT_EQ(write_text("/33906/0/0", "120").code, code::changed);
    EXPECT_EQ(S(read("/33906/0/0", content_format::text).payload), "120");
    EXPECT_EQ(write_text("/33906/0/0", "3").code, code::bad_request);     // §7.5 Table 11: 5-1440
    EXPECT_EQ(write_text("/33906/0/0", "abc").code, code::bad_request);
    EXPECT_EQ(write_text("/3/0/0", "ACME").code, code::method_not_allowed);  // R
    EXPECT_EQ(write_text("/3/0/99", "1").code, code::not_found);
    EXPECT_EQ(req(Operation::write_replace, "/33906/0/0", std::nullopt, std::nullopt, B("60")).code, code::unsupported_content_format);
    EXPECT_EQ(req(Operation::write_replace, "/33906/0/0", std::nullopt, content_format::lwm2m_json, B("60")).code, code::unsupported_content_format);
    EXPECT_EQ(req(Operation::write_replace, "/33906/0/0", std::nullopt, content_format::opaque, hex("3C")).code, code::unsupported_content_format);
    EXPECT_EQ(req(Operation::write_partial, "/33906/0", std::nullopt, content_format::text, B("60")).code, code::unsupported_content_format);
    // TLV partial write of an instance: 33906/0/0 = 30 (C1 00 1E), 33906/0/17 = 2000 (out of 5-1440):
    // refused as a whole, 33906/0/0 keeps 120 (E-96)
    EXPECT_EQ(req(Operation::write_partial, "/33906/0", std::nullopt, content_format::tlv, hex("C1001E C21107D0")).code, code::bad_request);
    EXPECT_EQ(S(read("/33906/0/0", content_format::text).payload), "120");
    EXPECT_EQ(req(Operation::write_partial, "/33906/0", std::nullopt, content_format::tlv, hex("C1001E C2110258")).code, code::changed);  // 30, 600
    EXPECT_EQ(S(read("/33906/0/17", content_format::text).payload), "600");
    // SenML-CBOR write of one resource: [{-2: "/33906/0/0", 2: 15}] (RFC 8428 §6 labels)
    EXPECT_EQ(req(Operation::write_replace, "/33906/0/0", std::nullopt, content_format::senml_cbor, hex("81 A2 21 6A 2F33333930362F302F30 02 0F")).code,
              code::changed);
    EXPECT_EQ(S(read("/33906/0/0", content_format::text).payload), "15");
}

TEST_F(Ops, BootstrapWritesTheDmAccount) {
    // R(W) from the DM server: refused; from the Bootstrap-Server: written
    EXPECT_EQ(write_text("/0/1/0", "coaps://dm.example:5684").code, code::method_not_allowed);
    EXPECT_EQ(write_text("/0/1/0", "coaps://dm.example:5684", Origin::bootstrap).code, code::changed);
    // an object-level Bootstrap-Write of /0 with instance 1: URI, Security Mode 0 (PSK), Secret Key
    const auto tlv = hex("08 01 21  C8 00 15 636F6170733A2F2F646D322E6578616D706C653A31  C1 02 00  C4 05 01020304");
    EXPECT_EQ(req(Operation::bootstrap_write, "/0", std::nullopt, content_format::tlv, tlv, Origin::bootstrap).code, code::changed);
    EXPECT_EQ(S(read("/0/1/0", content_format::text).payload), "coaps://dm2.example:1");
    EXPECT_EQ(read("/0/1/5").code, code::method_not_allowed);  // the key went in and stays unreadable
    // the Bootstrap interface answers 2.04, 4.00, 4.15 only (E-92): R and unknown paths are 4.00
    EXPECT_EQ(write_text("/3/0/0", "x", Origin::bootstrap).code, code::bad_request);
    EXPECT_EQ(write_text("/3/0/99", "1", Origin::bootstrap).code, code::bad_request);
    EXPECT_EQ(req(Operation::bootstrap_write, "/3/0/0", std::nullopt, content_format::text, B("x")).code, code::method_not_allowed);  // from DM
}

TEST_F(Ops, ExecuteNamesTheAction) {
    auto r = req(Operation::execute, "/33906/0/10", std::nullopt, std::nullopt, B("0='x'"));
    EXPECT_EQ(r.code, code::changed);
    EXPECT_EQ(r.action, cm::Action::readout_now);
    EXPECT_EQ(S(r.arguments), "0='x'");
    EXPECT_EQ(req(Operation::execute, "/33910/0/0").action, cm::Action::reset_statistics);
    EXPECT_EQ(req(Operation::execute, "/3/0/0").code, code::method_not_allowed);
    EXPECT_EQ(req(Operation::execute, "/3/0").code, code::method_not_allowed);
    EXPECT_EQ(req(Operation::execute, "/3/0/77").code, code::not_found);
    EXPECT_EQ(req(Operation::execute, "/3/0/4", std::nullopt, std::nullopt, {}, Origin::bootstrap).code, code::method_not_allowed);
}

TEST_F(Ops, DiscoverListsTable1AndTheAttributes) {
    auto r = req(Operation::discover, "/3/0", content_format::link);
    ASSERT_EQ(r.code, code::content);
    EXPECT_EQ(r.content_format, content_format::link);
    // Table 1's Device resources: 0 1 2 3 4 6 7 9 11 13 14 18; 6, 7, 11 multiple (TS 1.1 §5.4.2 dim)
    EXPECT_EQ(S(r.payload), "</3/0>,</3/0/0>,</3/0/1>,</3/0/2>,</3/0/3>,</3/0/4>,</3/0/6>;dim=1,</3/0/7>;dim=1,</3/0/9>,"
                            "</3/0/11>;dim=1,</3/0/13>,</3/0/14>,</3/0/18>");
    EXPECT_EQ(req(Operation::write_attributes, "/3/0", std::nullopt, std::nullopt, {}, Origin::dm, {"pmin=10", "pmax=60"}).code, code::changed);
    EXPECT_EQ(req(Operation::write_attributes, "/3/0/9", std::nullopt, std::nullopt, {}, Origin::dm, {"gt=50", "lt=20.5"}).code, code::changed);
    r = req(Operation::discover, "/3/0/9");
    EXPECT_EQ(S(r.payload), "</3/0/9>;pmin=10;pmax=60;gt=50;lt=20.5");  // inherited from the instance
    r = req(Operation::discover, "/3");
    EXPECT_EQ(S(r.payload).substr(0, 40), "</3>,</3/0>;pmin=10;pmax=60,</3/0/0>,</3");
    EXPECT_NE(S(r.payload).find("</3/0/9>;gt=50;lt=20.5"), std::string::npos);
    EXPECT_EQ(req(Operation::discover, "/3/0", content_format::tlv).code, code::not_acceptable);
    EXPECT_EQ(req(Operation::discover, "/").code, code::method_not_allowed);
    EXPECT_EQ(req(Operation::discover, "/3/7").code, code::not_found);
}

TEST_F(Ops, WriteAttributesRefusals) {
    auto wa = [&](std::string_view path, std::vector<std::string> q, Origin o = Origin::dm) {
        return req(Operation::write_attributes, path, std::nullopt, std::nullopt, {}, o, std::move(q)).code;
    };
    EXPECT_EQ(wa("/3/0", {"gt=1"}), code::bad_request);        // gt only on a resource
    EXPECT_EQ(wa("/3/0/0", {"gt=1"}), code::bad_request);      // Manufacturer is a String
    EXPECT_EQ(wa("/3/0/9", {"foo=1"}), code::bad_request);
    EXPECT_EQ(wa("/3/0/9", {"gt=10", "lt=20"}), code::bad_request);  // lt must be below gt
    EXPECT_EQ(wa("/3/0/9", {"gt=30", "lt=20", "st=5"}), code::bad_request);  // lt + 2·st < gt
    EXPECT_EQ(wa("/3/0/9", {"pmin=60", "pmax=10"}), code::bad_request);  // E-98
    EXPECT_EQ(wa("/3/0/9", {"pmin=-1"}), code::bad_request);
    EXPECT_EQ(wa("/3/0/9", {"pmin=1", "pmin=2"}), code::bad_request);
    EXPECT_EQ(wa("/3/0/99", {"pmin=1"}), code::not_found);
    EXPECT_EQ(wa("/3/0/9", {"pmin=1"}, Origin::bootstrap), code::method_not_allowed);
    EXPECT_EQ(wa("/3/0/9", {"pmin=5", "st=2"}), code::changed);
    EXPECT_EQ(objects.attributes(P("/3/0/9")), (Attributes{5, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 2.0}));
    EXPECT_EQ(wa("/3/0/9", {"pmin", "st"}), code::changed);  // without value: removed (TS 1.1 §5.4.4)
    EXPECT_TRUE(objects.attributes(P("/3/0/9")).empty());
}

TEST_F(Ops, CreateDeleteAndTheBootstrapInterface) {
    EXPECT_EQ(req(Operation::create, "/33906", std::nullopt, content_format::tlv).code, code::method_not_allowed);  // E-97
    EXPECT_EQ(req(Operation::create, "/4242", std::nullopt, content_format::tlv).code, code::not_found);
    EXPECT_EQ(req(Operation::delete_, "/33906/0").code, code::method_not_allowed);
    EXPECT_EQ(req(Operation::delete_, "/33906/7").code, code::not_found);
    EXPECT_EQ(req(Operation::bootstrap_delete, "/", std::nullopt, std::nullopt, {}, Origin::bootstrap).code, code::deleted);
    EXPECT_EQ(req(Operation::bootstrap_delete, "/0/1", std::nullopt, std::nullopt, {}, Origin::bootstrap).code, code::deleted);
    EXPECT_EQ(req(Operation::bootstrap_delete, "/0/1/0", std::nullopt, std::nullopt, {}, Origin::bootstrap).code, code::bad_request);
    EXPECT_EQ(req(Operation::bootstrap_delete, "/").code, code::method_not_allowed);  // from the DM server
    EXPECT_EQ(write_text("/0/1/0", "coaps://dm.example", Origin::bootstrap).code, code::changed);
    const auto r = req(Operation::bootstrap_discover, "/", content_format::link, std::nullopt, {}, Origin::bootstrap);
    ASSERT_EQ(r.code, code::content);
    // TS 1.1 §5.2.7: the version on the root, the DM server's Security instance with its URI
    EXPECT_EQ(S(r.payload).substr(0, 65), "</>;lwm2m=1.1,</0/0>,</0/1>;uri=\"coaps://dm.example\",</1/0>,</1/1");
    EXPECT_EQ(req(Operation::bootstrap_discover, "/3/0", std::nullopt, std::nullopt, {}, Origin::bootstrap).code, code::bad_request);
}

TEST_F(Ops, RegisterPayloadListsTables1And2) {
    EXPECT_EQ(objects.register_payload(),
              "</1/0>,</1/1>,</3/0>,</4/0>,</5/0>,</10/0>,</11/0>,</11/1>,</33905/0>,</33906/0>,</33907/0>,</33908/0>,"
              "</33909/0>,</33910/0>,</33911/0>");
    EXPECT_EQ(code::unsupported_content_format.str(), "4.15");
    EXPECT_EQ(code::content.byte(), 0x45);
}

// ------------------------------------------------------------------ the notification decision
using std::chrono::seconds;
const metercert::TimePoint t0{std::chrono::hours(1)};

TEST(Notify, PminHoldsBackPmaxForces) {
    const Attributes a{10, 60, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
    auto d = decide_notify(a, t0, std::nullopt, t0 + seconds(5), std::nullopt, true);
    EXPECT_FALSE(d.notify);
    EXPECT_EQ(d.next_check, t0 + seconds(10));
    d = decide_notify(a, t0, std::nullopt, t0 + seconds(12), std::nullopt, true);
    EXPECT_TRUE(d.notify);
    EXPECT_EQ(d.next_check, t0 + seconds(72));
    d = decide_notify(a, t0, std::nullopt, t0 + seconds(59), std::nullopt, false);
    EXPECT_FALSE(d.notify);
    EXPECT_EQ(d.next_check, t0 + seconds(60));
    EXPECT_TRUE(decide_notify(a, t0, std::nullopt, t0 + seconds(60), std::nullopt, false).notify);
    const Attributes none{};
    d = decide_notify(none, t0, std::nullopt, t0 + seconds(1), std::nullopt, false);
    EXPECT_FALSE(d.notify);
    EXPECT_FALSE(d.next_check.has_value());
}

TEST(Notify, ThresholdsAndStep) {
    const Attributes gt{std::nullopt, std::nullopt, std::nullopt, std::nullopt, 50.0, std::nullopt, std::nullopt};
    EXPECT_TRUE(decide_notify(gt, t0, 40.0, t0 + seconds(1), 55.0, true).notify);   // crosses 50 upwards
    EXPECT_TRUE(decide_notify(gt, t0, 55.0, t0 + seconds(1), 45.0, true).notify);   // and downwards
    EXPECT_FALSE(decide_notify(gt, t0, 55.0, t0 + seconds(1), 60.0, true).notify);  // stays above
    const Attributes st{std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt, 5.0};
    EXPECT_FALSE(decide_notify(st, t0, 10.0, t0 + seconds(1), 14.0, true).notify);
    EXPECT_TRUE(decide_notify(st, t0, 10.0, t0 + seconds(1), 15.0, true).notify);
    EXPECT_TRUE(decide_notify(st, t0, 10.0, t0 + seconds(1), 5.0, true).notify);
    // pmax below pmin is ignored (E-98): no forced notification
    const Attributes odd{60, 10, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt};
    EXPECT_FALSE(decide_notify(odd, t0, std::nullopt, t0 + seconds(30), std::nullopt, false).notify);
    // epmax bounds the next evaluation
    const Attributes ev{std::nullopt, 600, std::nullopt, 30, std::nullopt, std::nullopt, std::nullopt};
    EXPECT_EQ(decide_notify(ev, t0, std::nullopt, t0 + seconds(1), std::nullopt, false).next_check, t0 + seconds(31));
}

}  // namespace
