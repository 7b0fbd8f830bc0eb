// The redaction rule against the CMi1020 manual's byte tables (§6.7.9.1, §6.7.10.1): bytes 9 to
// the checksum are secret, at any split of the stream; other frames pass unchanged.
#include <gtest/gtest.h>

#include "../testing/hex.hpp"

#include <string>
#include <vector>

#include "metercert/devices/secrets.hpp"

using metercert::devices::find_secret;
using metercert::devices::redact_secrets;
using metercert::devices::SecretRedactor;

namespace {
using metercert::testing::hex;
// §6.7.9.1 with P1 "97531864" to address 0; checksum 0x5F worked by hand (0x53+0x51+0x0F+0x01+digits).
const std::string kP1 = "680D0D68530051 0F01 3937353331383634 5F16";
// §6.7.10.1 with the key 00 11 … FF: L = 0x15 (ERRATA E-20), checksum 0xB5+0x7F8 mod 256 = 0xAD.
const std::string kP2 = "68151568530051 0F02 00112233445566778899AABBCCDDEEFF AD16";
}  // namespace

TEST(Secrets, P1FrameRedactedFromByte9ThroughChecksum) {
    auto f = hex(kP1);
    const auto s = find_secret(f);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->first, 9u);
    EXPECT_EQ(s->end, 18u);  // checksum at 17 (§6.7.9.1)
    EXPECT_EQ(s->what, "P1 password");
    EXPECT_TRUE(redact_secrets(f));
    EXPECT_EQ(f, hex("680D0D68530051 0F01 2A2A2A2A2A2A2A2A 2A16"));
}

TEST(Secrets, P2FrameRedactedFromByte9ThroughChecksum) {
    auto f = hex(kP2);
    const auto s = find_secret(f);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->end, 26u);  // 16 key bytes at 9…24, checksum at 25 (ERRATA E-20)
    EXPECT_TRUE(redact_secrets(f));
    EXPECT_EQ(f, hex("68151568530051 0F02 2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A2A 2A16"));
}

TEST(Secrets, EverySplitOfTheStreamRedactsTheSameBytes) {
    const auto whole = hex(std::string("E5") + kP2 + "107B007B16");  // noise before, REQ_UD2 after
    auto want = whole;
    redact_secrets(want);
    for (std::size_t a = 0; a <= whole.size(); ++a)
        for (std::size_t b = a; b <= whole.size(); b += 3) {
            auto got = whole;
            SecretRedactor r;
            r.redact(std::span(got).subspan(0, a));
            r.redact(std::span(got).subspan(a, b - a));
            r.redact(std::span(got).subspan(b));
            ASSERT_EQ(got, want) << "split at " << a << " and " << b;
        }
    EXPECT_EQ(std::vector<std::uint8_t>(want.end() - 5, want.end()), hex("107B007B16"));  // the frame after is untouched
}

TEST(Secrets, OtherFramesPassUnchanged) {
    for (const std::string& h : {std::string("1040004016"), std::string("E5"),
                                 std::string("6806066853005101 7A07 2616"),        // set primary address (§6.7.5)
                                 std::string("68060668530051 0F03 02B816"),        // set rate (§6.7.11)
                                 std::string("680D0D68080072 0F01 3937353331383634 5F16")}) {  // CI 72, not 51
        auto f = hex(h);
        const auto before = f;
        EXPECT_FALSE(find_secret(f)) << h;
        EXPECT_FALSE(redact_secrets(f)) << h;
        EXPECT_EQ(f, before) << h;
    }
}
