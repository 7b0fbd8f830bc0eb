// CoRE Link Format (RFC 6690) and the Register query (LwM2M TS 1.1 §5.3), against RFC 6690 §5's
// example, the TS 1.1 Register and Discover examples and the Leshan test vector of a core-link
// value (7 links, attribute counts 2, 1, 0, 0, 1, 0, 0).
#include "metercert/lwm2m/links.hpp"

#include <gtest/gtest.h>

#include "../testing/hex.hpp"

using namespace metercert::lwm2m;

namespace {

TEST(Links, Rfc6690Example) {
    // RFC 6690 §5 (line breaks of the RFC removed)
    const std::string t = "</sensors>;ct=40;title=\"Sensor Index\",</sensors/temp>;rt=\"temperature-c\";if=\"sensor\","
                          "</sensors/light>;rt=\"light-lux\";if=\"sensor\",<http://www.example.com/sensors/t123>;"
                          "anchor=\"/sensors/temp\";rel=\"describedby\",</t>;anchor=\"/sensors/temp\";rel=\"alternate\"";
    std::vector<Link> l;
    Error e;
    ASSERT_TRUE(parse_links(t, l, e)) << e.message();
    ASSERT_EQ(l.size(), 5u);
    EXPECT_EQ(l[0].target, "/sensors");
    EXPECT_EQ(l[0].param("ct")->value, "40");
    EXPECT_EQ(l[0].param("title")->value, "Sensor Index");
    EXPECT_EQ(l[3].target, "http://www.example.com/sensors/t123");
    EXPECT_EQ(l[4].param("rel")->value, "alternate");
    EXPECT_EQ(format_links(l), t);  // quoted values stay quoted, tokens stay tokens
}

TEST(Links, LwM2MRegisterAndDiscoverExamples) {
    // TS 1.1 §5.3.1 Register example payload
    std::vector<Path> objs;
    Error e;
    ASSERT_TRUE(parse_register_payload("</1/0>,</1/1>,</2/0>,</2/1>,</2/2>,</2/3>,</2/4>,</3/0>,</4/0>,</5>", objs, e)) << e.message();
    ASSERT_EQ(objs.size(), 10u);
    EXPECT_EQ(objs[1], Path::instance(1, 1));
    EXPECT_EQ(objs[9], Path::object(5));
    const std::vector<Path> mine = {Path::instance(0, 0), Path::instance(1, 0), Path::instance(3, 0), Path::object(5)};
    EXPECT_EQ(register_payload(mine), "</1/0>,</3/0>,</5>");  // no Security object (TS 1.1 §5.3.1)
    EXPECT_EQ(register_payload(mine, content_format::senml_cbor), "</>;rt=\"oma.lwm2m\";ct=112,</1/0>,</3/0>,</5>");
    // TS 1.1 §5.4.2 Discover example on /3/0
    std::vector<Link> l;
    ASSERT_TRUE(parse_links("</3/0>;pmin=10,</3/0/1>,</3/0/2>,</3/0/3>,</3/0/4>,</3/0/6>;dim=8,</3/0/7>;dim=8;gt=50;lt=42.2,"
                            "</3/0/8>;dim=8,</3/0/11>,</3/0/16>", l, e))
        << e.message();
    ASSERT_EQ(l.size(), 10u);
    EXPECT_EQ(l[6].param("lt")->value, "42.2");
    EXPECT_EQ(l[6].params.size(), 3u);
    // Leshan's core-link test value (object 3442): </>;rt="oma.lwm2m";ct="60 110 …",</1>;ver=1.1,…
    const auto b = metercert::testing::hex(
        "3c2f3e3b72743d226f6d612e6c776d326d223b63743d223630203131302031313220313534322031353433203131353432203131353433222c3c2f313e3b"
        "7665723d312e312c3c2f312f303e2c3c2f323e2c3c2f333e3b7665723d312e312c3c2f332f303e2c3c2f333434322f303e");
    ASSERT_TRUE(parse_links(std::string(b.begin(), b.end()), l, e)) << e.message();
    ASSERT_EQ(l.size(), 7u);
    const std::size_t counts[] = {2, 1, 0, 0, 1, 0, 0};
    for (std::size_t k = 0; k < 7; ++k) EXPECT_EQ(l[k].params.size(), counts[k]) << k;
    EXPECT_EQ(l[0].param("ct")->value, "60 110 112 1542 1543 11542 11543");
    ASSERT_TRUE(parse_register_payload(std::string(b.begin(), b.end()), objs, e));
    EXPECT_EQ(objs.size(), 6u);  // the root link is not an object
}

TEST(Links, RefusalsNameTheByte) {
    std::vector<Link> l;
    Error e;
    EXPECT_FALSE(parse_links("</3/0", l, e));
    EXPECT_EQ(e.offset, 0u);
    EXPECT_FALSE(parse_links("</3/0>;pmin=10,</3/1>;", l, e));  // ';' with no name at the end
    EXPECT_EQ(e.offset, 22u);
    EXPECT_FALSE(parse_links("</3/0>;title=\"open", l, e));
    EXPECT_EQ(e.offset, 13u);
    EXPECT_FALSE(parse_links("</3/0> ,</3/1>", l, e));
    EXPECT_EQ(e.offset, 6u);
    EXPECT_FALSE(parse_links("</3/0>;pmin=", l, e));
    EXPECT_EQ(e.offset, 12u);
    EXPECT_FALSE(parse_links("3/0", l, e));
    EXPECT_EQ(e.code, ErrorCode::syntax);
    EXPECT_TRUE(parse_links("", l, e));
    EXPECT_TRUE(l.empty());
    // a quoted-pair may escape a control character (RFC 2616 §2.2); formatting escapes it again
    // (found by lwm2m_fuzz)
    ASSERT_TRUE(parse_links(std::string("</a>;title=\"x\\\x02y\""), l, e)) << e.message();
    EXPECT_EQ(l[0].param("title")->value, std::string("x\x02y"));
    EXPECT_EQ(format_links(l), std::string("</a>;title=\"x\\\x02y\""));
}

TEST(Links, RegisterQuery) {
    // TS 1.1 §5.3.1: POST /rd?ep=example_client&lt=3600&lwm2m=1.1&b=U
    const auto o = split_query("ep=example_client&lt=3600&lwm2m=1.1&b=U&Q");
    RegisterQuery q;
    Error e;
    ASSERT_TRUE(parse_register_query(o, false, q, e)) << e.message();
    EXPECT_EQ(q.endpoint, "example_client");
    EXPECT_EQ(q.lifetime, 3600u);
    EXPECT_EQ(q.lwm2m, "1.1");
    EXPECT_EQ(q.binding, "U");
    EXPECT_TRUE(q.queue_mode);
    EXPECT_EQ(build_register_query(q), o);
    auto bad = [&](std::string_view query, bool update, ErrorCode c, std::size_t at) {
        EXPECT_FALSE(parse_register_query(split_query(query), update, q, e)) << query;
        EXPECT_EQ(e.code, c) << query << ": " << e.message();
        EXPECT_EQ(e.offset, at) << query;
    };
    bad("lt=60", false, ErrorCode::missing, 1);
    bad("ep=a&lt=-1", false, ErrorCode::bad_value, 1);
    bad("ep=a&lt=4294967296", false, ErrorCode::bad_value, 1);
    bad("ep=a&lwm2m=1", false, ErrorCode::bad_value, 1);
    bad("ep=a&b=UU", false, ErrorCode::bad_value, 1);
    bad("ep=a&b=X", false, ErrorCode::bad_value, 1);
    bad("ep=a&ep=b", false, ErrorCode::duplicate, 1);
    bad("ep=a&Q=1", false, ErrorCode::bad_value, 1);
    bad("ep=", false, ErrorCode::missing, 0);
    bad("lt=60&ep=a", true, ErrorCode::bad_value, 1);  // no ep in an Update
    ASSERT_TRUE(parse_register_query(split_query("lt=60&b=UQ"), true, q, e)) << e.message();  // TS 1.0 binding UQ
    EXPECT_EQ(q.binding, "UQ");
}

}  // namespace
