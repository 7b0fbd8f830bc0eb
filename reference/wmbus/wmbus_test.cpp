// Unit tests of the wireless M-Bus codec. Expected values come from outside the code: the CRC check
// values of EN 13757-4 (NOTES.md; wmbusmeters' test_crc), the OMS Vol. 2 Annex N example
// telegrams with their keys and the plain data of EN 13757-3:2003 Table P.1 (vectors/wmbus/ has
// the full set; these tests cover the API around them: errors, encoder, key handling).
#include <gtest/gtest.h>

#include <string>

#include "metercert/wmbus/crc.hpp"
#include "metercert/wmbus/encode.hpp"
#include "metercert/wmbus/json.hpp"
#include "metercert/wmbus/telegram.hpp"

using namespace metercert::wmbus;

namespace {

std::vector<std::uint8_t> unhex(std::string_view s) {
    std::vector<std::uint8_t> out;
    for (std::size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<std::uint8_t>(std::stoul(std::string(s.substr(i, 2)), nullptr, 16)));
    return out;
}

// OMS Vol. 2 Annex N.2.1 (security profile A, mode 5), format A with CRCs, key 01…0F 11.
constexpr std::string_view kMode5 =
    "2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A";
constexpr std::string_view kMode5Key = "0102030405060708090A0B0C0D0E0F11";
// OMS Vol. 2 Annex N, integrated radio with security profile B (mode 7, ELL 8C, AFL), key 00…0F.
constexpr std::string_view kMode7 =
    "434493157856341233037AC98C2075900F002C25B30A000021924D4FBA372FB66E017A75002007109058475F4BC9D1281DF878B80A1B0F98B629024AAC7279429398BFC549233C0140829B93BAA1";
constexpr std::string_view kMode7Key = "000102030405060708090A0B0C0D0E0F";

KeyLookup lookup(std::string_view hex) { return single_key(*Key::from_hex(hex)); }

}  // namespace

TEST(WmbusCrc, CheckValues) {
    const std::string s = "123456789";
    EXPECT_EQ(crc16({reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}), 0xC2B7);
    EXPECT_EQ(crc16(unhex("EE449ACE010000802307")), 0xAABC);
    EXPECT_EQ(crc16(unhex("01FD1F01")), 0xCC22);
    EXPECT_EQ(crc16(unhex("01FD1F00")), 0xF147);
}

TEST(WmbusDecode, Mode5AnnexN) {
    const auto keys = lookup(kMode5Key);
    Telegram t;
    DecodeError err;
    ASSERT_TRUE(decode(unhex(kMode5), t, err, {.keys = &keys})) << err.message();
    EXPECT_EQ(t.crc, CrcFormat::a);
    EXPECT_EQ(t.link.c, 0x44);
    EXPECT_EQ(t.link.id, 0x12345678u);
    EXPECT_EQ(t.tpl.security_mode(), 5u);
    EXPECT_EQ(t.tpl.encrypted_blocks(), 2u);
    EXPECT_TRUE(t.security.decrypted);
    // EN 13757-3:2003 Table P.1: 2F2F 0C14 27048502 046D 32371F15 02FD17 0000 2F…
    ASSERT_GE(t.apl.records.size(), 5u);
    EXPECT_EQ(t.apl.records[2].value.to_string(), "28504.27");
    EXPECT_EQ(t.apl.records[3].date.iso(), "2008-05-31T23:50");
    EXPECT_EQ(encode(t, &keys), unhex(kMode5));
}

TEST(WmbusDecode, Mode5Errors) {
    Telegram t;
    DecodeError err;
    EXPECT_FALSE(decode(unhex(kMode5), t, err));
    EXPECT_EQ(err.name(), "no_key");
    EXPECT_EQ(err.offset, 17u);  // first encrypted byte: logical 15 + the first block's CRC
    const auto wrong = lookup("0102030405060708090A0B0C0D0E0F12");
    EXPECT_FALSE(decode(unhex(kMode5), t, err, {.keys = &wrong}));
    EXPECT_EQ(err.name(), "decryption_check_failed");
    EXPECT_EQ(err.offset, 17u);
    EXPECT_EQ(err.message().find("0102"), std::string::npos);
    auto bad = unhex(kMode5);
    bad[20] ^= 1;  // inside block 2
    EXPECT_FALSE(decode(bad, t, err));
    EXPECT_EQ(err.name(), "crc_mismatch");
    EXPECT_EQ(err.offset, 28u);  // block 2's CRC: 12 + 16
    EXPECT_NE(err.detail.find("block 2"), std::string::npos);
    bad = unhex(kMode5);
    EXPECT_FALSE(decode(std::span(bad).first(bad.size() - 1), t, err));
    EXPECT_EQ(err.name(), "truncated_frame");
}

TEST(WmbusDecode, Mode7AnnexN) {
    const auto keys = lookup(kMode7Key);
    Telegram t;
    DecodeError err;
    ASSERT_TRUE(decode(unhex(kMode7), t, err, {.keys = &keys})) << err.message();
    EXPECT_EQ(t.ell.ci, 0x8C);
    EXPECT_TRUE(t.afl.present);
    EXPECT_EQ(t.afl.mcr, 0xAB3u);
    EXPECT_TRUE(t.security.mac_verified);
    EXPECT_TRUE(t.security.decrypted);
    EXPECT_EQ(t.apl.records[2].value.to_string(), "28504.27");
    EXPECT_EQ(encode(t, &keys), unhex(kMode7));
    const std::string j = to_json(t);
    EXPECT_EQ(j.find("000102030405"), std::string::npos) << j;
    // the same telegram without CRCs and one MAC bit flipped (2F → 3F): only the MAC is wrong
    const auto bad = unhex(
        "434493157856341233038C2075900F002C25B30A000021924D4F3FB66E017A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93");
    EXPECT_FALSE(decode(bad, t, err, {.keys = &keys}));
    EXPECT_EQ(err.name(), "mac_mismatch");
    EXPECT_EQ(err.offset, 22u);
}

TEST(WmbusEncode, BuilderRoundTripsEveryLayer) {
    const auto keys = lookup("00112233445566778899AABBCCDDEEFF");
    const std::vector<std::uint8_t> apl = {0x2F, 0x2F, 0x04, 0x13, 0x40, 0xE2, 0x01, 0x00, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F, 0x2F,
                                           0x02, 0xFD, 0x17, 0x00, 0x00};  // one block encrypted, a plain record after it
    for (CrcFormat f : {CrcFormat::a, CrcFormat::b, CrcFormat::none})
        for (unsigned mode : {0u, 5u, 7u})
            for (std::uint8_t ell : {std::uint8_t{0}, std::uint8_t{0x8C}, std::uint8_t{0x8D}, std::uint8_t{0x8E}, std::uint8_t{0x8F}}) {
                FrameSpec s;
                s.crc = f;
                s.link = {0, 0x44, 0x1593, 0x12345678, 0x33, 0x07};
                s.ell.ci = ell;
                s.ell.cc = 0x30;
                s.ell.acc = 0x42;
                s.ell.sn = 0x20000000u | 0x1234;  // AES-CTR
                s.ell.manufacturer = 0x633A;
                s.ell.id = 0x33445566;
                if (mode == 7) {
                    s.afl.present = true;
                    s.afl.fcl = 0x2C00;
                    s.afl.mcl = 0x25;
                    s.afl.mcr = 77;
                    s.tpl.config_ext = 0x10;
                }
                s.tpl.ci = 0x72;
                s.tpl.header.id = 0x87654321;
                s.tpl.header.manufacturer = 0x1593;
                s.tpl.header.medium = 0x07;
                s.tpl.header.access_number = 9;
                s.tpl.header.signature = static_cast<std::uint16_t>(config_field(mode, mode ? 1 : 0));
                s.apl = apl;
                const auto w = encode(s, &keys);
                Telegram t;
                DecodeError err;
                ASSERT_TRUE(decode(w, t, err, {.crc = f, .keys = &keys})) << err.message() << " mode " << mode << " ell " << int(ell);
                EXPECT_EQ(encode(t, &keys), w);
                EXPECT_EQ(t.apl.records.size(), 12u);
                EXPECT_EQ(t.security.decrypted, mode != 0);
                EXPECT_EQ(t.security.mac_verified, mode == 7);
                if (ell == 0x8D || ell == 0x8F) {
                    EXPECT_TRUE(t.security.ell_decrypted);
                    EXPECT_FALSE(decode(w, t, err, {.crc = f}));
                    EXPECT_EQ(err.name(), "no_key");
                }
            }
}

TEST(WmbusEncode, FormatBTwoBlocksAndLimits) {
    FrameSpec s;
    s.crc = CrcFormat::b;
    s.link = {0, 0x44, 0x1593, 0x12345678, 1, 7};
    s.tpl.ci = 0x78;
    for (int i = 0; i < 40; ++i) s.apl.insert(s.apl.end(), {0x04, 0x13, 0x01, 0x02, 0x03, 0x04});
    s.apl.resize(200 - 11);
    s.apl.back() = 0x2F;
    for (std::size_t i = s.apl.size() - 3; i < s.apl.size(); ++i) s.apl[i] = 0x2F;
    const auto w = encode(s);
    EXPECT_EQ(w.size(), 204u);
    EXPECT_EQ(w[0], 203);
    Telegram t;
    DecodeError err;
    ASSERT_TRUE(decode(w, t, err)) << err.message();
    EXPECT_EQ(t.crc, CrcFormat::b);
    EXPECT_EQ(encode(t), w);
    auto bad = w;
    bad[150] ^= 0xFF;
    EXPECT_FALSE(decode(bad, t, err, {.crc = CrcFormat::b}));
    EXPECT_EQ(err.name(), "crc_mismatch");
    EXPECT_EQ(err.offset, 202u);
    s.apl.resize(300);
    EXPECT_THROW(encode(s), DecodeFailure);
}

TEST(WmbusEncode, TransportCiWithoutDataRoundTrips) {
    // found by ci/fuzz: ELL 8C then TPL CI 00 and nothing after it (not "no transport layer")
    const auto w = unhex("0DFFFFFF0C78563C27208C788D00");
    Telegram t;
    DecodeError err;
    ASSERT_TRUE(decode(w, t, err, {.crc = CrcFormat::none})) << err.message();
    EXPECT_EQ(encode(t), w);
}

TEST(WmbusKey, FromHex) {
    EXPECT_TRUE(Key::from_hex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"));
    EXPECT_FALSE(Key::from_hex("0011"));
    EXPECT_FALSE(Key::from_hex("00112233445566778899AABBCCDDEEFF00"));
    EXPECT_FALSE(Key::from_hex("00112233445566778899AABBCCDDEEFG"));
}

TEST(WmbusDecode, NeverCrashesOnPrefixesAndFlips) {
    const auto keys = lookup(kMode7Key);
    const auto w = unhex(kMode7);
    Telegram t;
    DecodeError err;
    for (std::size_t n = 0; n <= w.size(); ++n) (void)decode(std::span(w).first(n), t, err, {.keys = &keys});
    for (std::size_t i = 0; i < w.size(); ++i)
        for (int bit = 0; bit < 8; ++bit) {
            auto b = w;
            b[i] ^= static_cast<std::uint8_t>(1 << bit);
            for (CrcFormat f : {CrcFormat::automatic, CrcFormat::none}) (void)decode(b, t, err, {.crc = f, .keys = &keys});
        }
    SUCCEED();
}
