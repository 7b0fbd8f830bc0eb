// Property tests: decode(encode(m)) == m for generated models, and encode(decode(b)) == b.
// Value-parameterised over seeds; each seed builds 40 telegrams of random records.
#include <charconv>
#include <cstdlib>
#include <random>

#include <gtest/gtest.h>

#include "metercert/mbus/encode.hpp"
#include "metercert/mbus/json.hpp"
#include "metercert/mbus/telegram.hpp"

using namespace metercert::mbus;

namespace {

struct Gen {
    std::mt19937_64 rng;
    explicit Gen(unsigned seed) : rng(seed) {}
    std::uint64_t u(std::uint64_t n) { return rng() % n; }

    // VIBs that are numeric registers (no date meaning), incl. extension tables and combinable VIFEs.
    std::vector<std::uint8_t> numeric_vib() {
        static const std::vector<std::vector<std::uint8_t>> kVibs{
            {0x03}, {0x06}, {0x0E}, {0x13}, {0x2B}, {0x3B}, {0x5A}, {0x61}, {0x22}, {0x83, 0x3B}, {0x83, 0x3C},
            {0xFD, 0x49}, {0xFD, 0x5A}, {0xFD, 0x17}, {0xFD, 0x75}, {0xFB, 0x82, 0xF3, 0x3B}, {0xFB, 0x82, 0xA2, 0x73},
            {0xAB, 0x7D}, {0x93, 0x21}, {0x7C, 0x02, 0x43, 0x53}, {0xFC, 0x06, 0x69, 0x68, 0x50, 0x73, 0x6F, 0x43, 0x74},
            {0xFC, 0x74, 0x01, 0x57}, {0xFF, 0x01}, {0x78}, {0xFB, 0x21}, {0x86, 0x15}};
        return kVibs[u(kVibs.size())];
    }
    std::vector<std::uint8_t> difes() {
        std::vector<std::uint8_t> d(u(4) == 0 ? u(11) : 0);
        for (std::size_t i = 0; i < d.size(); ++i)
            d[i] = static_cast<std::uint8_t>((rng() & 0x7F) | (i + 1 < d.size() ? 0x80 : 0));
        return d;
    }
    i128 signed_fitting(unsigned bytes) {
        const i128 span = static_cast<i128>(1) << (8 * bytes - 1);
        const auto r = static_cast<i128>(rng() % (static_cast<std::uint64_t>(bytes == 8 ? ~0ull : (2ull << (8 * bytes - 1)) - 1)));
        return bytes == 8 ? static_cast<i128>(static_cast<std::int64_t>(rng())) : r - span;
    }
    i128 bcd_fitting(unsigned digits, bool allow_negative) {
        i128 lim = 1;
        for (unsigned i = 0; i < digits - (allow_negative ? 1 : 0); ++i) lim *= 10;
        const i128 v = static_cast<i128>(rng() % static_cast<std::uint64_t>(lim));
        return allow_negative && u(2) ? -v : v;
    }
};

struct Built {
    RecordSpec spec;
    Value value;
};

Built random_record(Gen& g) {
    Built b;
    b.spec.dife = g.difes();
    const bool ext = !b.spec.dife.empty();
    const std::uint8_t func = static_cast<std::uint8_t>(g.u(4) << 4);
    const std::uint8_t sto = static_cast<std::uint8_t>(g.u(2) << 6);
    auto dif = [&](std::uint8_t code) { return static_cast<std::uint8_t>(code | func | sto | (ext ? 0x80 : 0)); };
    switch (g.u(7)) {
        case 0: {  // integers
            static constexpr std::uint8_t kCodes[] = {1, 2, 3, 4, 6, 7};
            static constexpr unsigned kBytes[] = {1, 2, 3, 4, 6, 8};
            const auto k = g.u(6);
            b.spec.dif = dif(kCodes[k]);
            b.spec.vib = g.numeric_vib();
            b.value = Value::integer(g.signed_fitting(kBytes[k]));
            const bool bitfield = b.spec.vib == std::vector<std::uint8_t>{0xFD, 0x17} || b.spec.vib == std::vector<std::uint8_t>{0x78};
            if (bitfield && b.value.number.mantissa < 0)
                b.value.number.mantissa += static_cast<i128>(1) << (8 * kBytes[k]);  // bit fields are unsigned
            break;
        }
        case 1: {  // BCD
            static constexpr std::uint8_t kCodes[] = {9, 10, 11, 12, 14};
            static constexpr unsigned kDigits[] = {2, 4, 6, 8, 12};
            const auto k = g.u(5);
            b.spec.dif = dif(kCodes[k]);
            b.spec.vib = g.numeric_vib();
            b.value = Value::bcd(g.bcd_fitting(kDigits[k], true));
            break;
        }
        case 2: {  // real
            b.spec.dif = dif(5);
            b.spec.vib = g.numeric_vib();
            const double x = static_cast<double>(static_cast<std::int32_t>(g.rng())) / static_cast<double>(1 + g.u(10000));
            // the decimal of a float is what the model holds: take the float's shortest form
            const float f = static_cast<float>(x);
            char buf[64];
            auto r = std::to_chars(buf, buf + 64, f, std::chars_format::fixed);
            b.value = Value::real(*Decimal::parse(std::string_view(buf, static_cast<std::size_t>(r.ptr - buf))));
            break;
        }
        case 3: {  // dates: G (2), J (3), F (4), I (6) on VIF 6C/6D
            static constexpr char kType[] = {'G', 'J', 'F', 'I'};
            static constexpr std::uint8_t kCode[] = {2, 3, 4, 6};
            const auto k = g.u(4);
            b.spec.dif = dif(kCode[k]);
            b.spec.vib = {static_cast<std::uint8_t>(kType[k] == 'G' ? 0x6C : 0x6D)};
            b.value = Value::datetime(DateTime::make(kType[k], static_cast<unsigned>(1981 + g.u(200)), static_cast<unsigned>(1 + g.u(12)),
                                                     static_cast<unsigned>(1 + g.u(28)), static_cast<unsigned>(g.u(24)),
                                                     static_cast<unsigned>(g.u(60)), static_cast<unsigned>(g.u(60)), g.u(2), g.u(2)));
            break;
        }
        case 4: {  // LVAR text
            b.spec.dif = dif(0xD);
            b.spec.vib = {0xFD, 0x11};
            std::string s(g.u(20), 'x');
            for (auto& c : s) c = static_cast<char>(0x20 + g.u(0x5F));
            b.value = Value::text(s);
            break;
        }
        case 5: {  // LVAR binary, incl. the long lengths
            b.spec.dif = dif(0xD);
            b.spec.vib = {0xFD, 0x76};
            static constexpr std::size_t kLen[] = {0, 1, 7, 15, 16, 20, 32, 48, 64};
            std::string s(kLen[g.u(9)], '\0');
            for (auto& c : s) c = static_cast<char>(g.rng());
            b.value = Value::binary(s);
            break;
        }
        default: {  // LVAR BCD
            b.spec.dif = dif(0xD);
            b.spec.vib = g.numeric_vib();
            b.value = Value::bcd(g.bcd_fitting(1 + static_cast<unsigned>(g.u(28)), true));
            break;
        }
    }
    return b;
}

class RoundTrip : public ::testing::TestWithParam<unsigned> {};

TEST_P(RoundTrip, DecodeOfEncodeIsTheModel) {
    Gen g(GetParam());
    for (int n = 0; n < 40; ++n) {
        Header h;
        h.kind = Header::Kind::long_header;
        h.id = 0;
        for (int i = 0; i < 8; ++i) h.id = (h.id << 4) | static_cast<std::uint32_t>(g.u(10));
        h.manufacturer = *manufacturer_code(std::string{static_cast<char>('A' + g.u(26)), static_cast<char>('A' + g.u(26)),
                                                        static_cast<char>('A' + g.u(26))});
        h.version = static_cast<std::uint8_t>(g.rng());
        h.medium = static_cast<std::uint8_t>(g.rng());
        h.access_number = static_cast<std::uint8_t>(g.rng());
        h.status = static_cast<std::uint8_t>(g.rng());
        h.signature = static_cast<std::uint16_t>(g.rng());
        TelegramBuilder tb(kRspUd, static_cast<std::uint8_t>(g.u(251)), 0x72);
        tb.header(h);
        std::vector<Built> recs;
        std::size_t budget = 252 - 12 - 1;
        for (;;) {
            Built b = random_record(g);
            std::vector<std::uint8_t> probe;
            encode_value(b.spec.dif, b.value, 0, probe);
            const std::size_t size = 1 + b.spec.dife.size() + b.spec.vib.size() + probe.size();
            if (size > budget) break;
            budget -= size;
            tb.record(b.spec, b.value);
            recs.push_back(std::move(b));
        }
        const std::uint8_t end = g.u(2) ? 0x0F : 0x1F;
        tb.special(end);
        const auto frame = tb.frame();

        Telegram t;
        DecodeError e;
        ASSERT_TRUE(decode(frame, t, e)) << e.message();
        EXPECT_EQ(t.header.id, h.id);
        EXPECT_EQ(t.header.manufacturer, h.manufacturer);
        EXPECT_EQ(t.header.signature, h.signature);
        EXPECT_EQ(t.special, end);
        ASSERT_EQ(t.records.size(), recs.size());
        for (std::size_t i = 0; i < recs.size(); ++i) {
            const Record& r = t.records[i];
            const Built& b = recs[i];
            SCOPED_TRACE(testing::Message() << "record " << i << " DIF " << int(b.spec.dif));
            EXPECT_EQ(r.dif, b.spec.dif);
            EXPECT_EQ(std::vector<std::uint8_t>(r.dife.begin(), r.dife.begin() + r.n_dife), b.spec.dife);
            const auto vib = t.span(r.vib);
            EXPECT_EQ(std::vector<std::uint8_t>(vib.begin(), vib.end()), b.spec.vib);
            switch (b.value.kind) {
                case ValueKind::integer:
                    EXPECT_EQ(r.kind, ValueKind::integer);
                    EXPECT_EQ(r.number, b.value.number);
                    break;
                case ValueKind::bcd:
                    EXPECT_EQ(r.kind, ValueKind::bcd);
                    EXPECT_EQ(r.number, b.value.number) << r.number.to_string() << " vs " << b.value.number.to_string();
                    break;
                case ValueKind::real:
                    // the same binary32, whichever of its shortest decimals each side wrote
                    EXPECT_EQ(r.kind, ValueKind::real);
                    EXPECT_EQ(std::strtof(r.number.to_string().c_str(), nullptr), std::strtof(b.value.number.to_string().c_str(), nullptr))
                        << r.number.to_string() << " vs " << b.value.number.to_string();
                    break;
                case ValueKind::date:
                    EXPECT_EQ(r.kind, ValueKind::date);
                    EXPECT_EQ(r.date.bits, b.value.date.bits);
                    EXPECT_EQ(r.date.year, b.value.date.year);
                    EXPECT_EQ(r.date.iso(), b.value.date.iso());
                    break;
                case ValueKind::text: {
                    EXPECT_EQ(r.kind, ValueKind::text);
                    const std::string_view s = t.text(r.data);
                    EXPECT_EQ(std::string(s.rbegin(), s.rend()), b.value.bytes);
                    break;
                }
                case ValueKind::binary:
                    EXPECT_EQ(r.kind, ValueKind::binary);
                    EXPECT_EQ(std::string(t.text(r.data)), b.value.bytes);
                    break;
                default: break;
            }
        }
        EXPECT_EQ(encode(t), frame);
        EXPECT_EQ(from_json(to_json(t)), frame);
    }
}

INSTANTIATE_TEST_SUITE_P(Seeds, RoundTrip, ::testing::Range(1u, 51u));

TEST(Encoder, RejectsValuesThatDoNotFit) {
    std::vector<std::uint8_t> out;
    EXPECT_THROW(encode_value(0x01, Value::integer(256), 0, out), DecodeFailure);
    EXPECT_THROW(encode_value(0x01, Value::integer(-129), 0, out), DecodeFailure);
    EXPECT_NO_THROW(encode_value(0x01, Value::integer(255), 0, out));  // unsigned register
    EXPECT_THROW(encode_value(0x0A, Value::bcd(10000), 0, out), DecodeFailure);
    EXPECT_THROW(encode_value(0x0A, Value::bcd(-1000), 0, out), DecodeFailure);  // 3 digits + sign nibble
    out.clear();
    encode_value(0x0A, Value::bcd(-999), 0, out);
    EXPECT_EQ(out, (std::vector<std::uint8_t>{0x99, 0xF9}));
    EXPECT_THROW(encode_value(0x0D, Value::binary(std::string(17, 'a')), 0, out), DecodeFailure);
    EXPECT_THROW(encode_value(0x0D, Value::text(std::string(192, 'a')), 0, out), DecodeFailure);
    EXPECT_THROW(encode_value(0x04, Value::text("x"), 0, out), DecodeFailure);
    const Value one_and_a_half{ValueKind::integer, {15, -1}, {}, {}};
    EXPECT_THROW(encode_value(0x04, one_and_a_half, 0, out), DecodeFailure);  // 1.5 is not a register
}

}  // namespace
