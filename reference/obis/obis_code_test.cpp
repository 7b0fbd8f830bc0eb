#include "metercert/obis/obis_code.hpp"

#include <gtest/gtest.h>

using metercert::obis::ObisCode;

TEST(ObisCode, FullAndShortForms) {
    const auto a = ObisCode::parse("1-0:1.8.0*255");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->a(), 1);
    EXPECT_EQ(a->c(), 1);
    EXPECT_EQ(a->d(), 8);
    EXPECT_EQ(a->f(), 255);
    EXPECT_EQ(a->to_string(), "1-0:1.8.0*255");
    // IEC 62056-21 short codes as readouts print them: "32.7" stands for 1-0:32.7.0
    EXPECT_EQ(ObisCode::parse("32.7")->to_string(), "1-0:32.7.0*255");
    EXPECT_EQ(ObisCode::parse("1.8.1")->to_string(), "1-0:1.8.1*255");
}

TEST(ObisCode, LetterGroups) {
    // IEC 62056-61: C = 96, F = 97 in value group C (and D for F.F)
    const auto c = ObisCode::parse("C.1.0");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->c(), 96);
    EXPECT_EQ(c->a(), 0);
    EXPECT_EQ(c->short_form(), "C.1.0");
    const auto ff = ObisCode::parse("F.F");
    ASSERT_TRUE(ff);
    EXPECT_EQ(ff->c(), 97);
    EXPECT_EQ(ff->d(), 97);
    EXPECT_EQ(ff->to_string(), "0-0:F.F.0*255");
    EXPECT_EQ(ObisCode::parse("0-0:C.7.0*255")->c(), 96);
    EXPECT_EQ(ObisCode::parse("1-0:99.1.0")->short_form(), "P.1.0");
}

TEST(ObisCode, Rejects) {
    for (const char* bad : {"", "1", "1.2.3.4", "256.1.0", "X.1.0", "1-0:", "1-0-1.8.0", "1.8.0*", "1.8.0*256", "1..0", "1.F.0"})
        EXPECT_FALSE(ObisCode::parse(bad)) << bad;
}
