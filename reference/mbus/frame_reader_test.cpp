#include "metercert/mbus/frame_reader.hpp"

#include <gtest/gtest.h>

using namespace metercert::mbus;
using K = StreamEvent::Kind;

namespace {
std::vector<std::uint8_t> v(std::initializer_list<int> l) {
    std::vector<std::uint8_t> o;
    for (int x : l) o.push_back(static_cast<std::uint8_t>(x));
    return o;
}
}  // namespace

TEST(FrameReader, SkipsGarbageAndFindsFrames) {
    FrameReader r;
    auto ev = r.feed(v({0x00, 0xFF, 0xE5, 0x10, 0x40, 0x01, 0x41, 0x16}));
    ASSERT_EQ(ev.size(), 3u);
    EXPECT_EQ(ev[0].kind, K::garbage);
    EXPECT_EQ(ev[0].offset, 0u);
    EXPECT_EQ(ev[0].length, 2u);
    EXPECT_EQ(ev[1].kind, K::frame);
    EXPECT_EQ(ev[1].offset, 2u);
    EXPECT_EQ(ev[1].bytes, v({0xE5}));
    EXPECT_EQ(ev[2].kind, K::frame);
    EXPECT_EQ(ev[2].offset, 3u);
    EXPECT_EQ(ev[2].length, 5u);
}

TEST(FrameReader, FrameSplitAcrossFeeds) {
    FrameReader r;
    const auto f = build_long(0x08, 1, 0x78, v({0x04, 0x06, 1, 0, 0, 0}));
    for (std::size_t i = 0; i + 1 < f.size(); ++i) EXPECT_TRUE(r.feed({&f[i], 1}).empty()) << i;
    auto ev = r.feed({&f.back(), 1});
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, K::frame);
    EXPECT_EQ(ev[0].bytes, f);
    EXPECT_EQ(r.buffered(), 0u);
}

TEST(FrameReader, CollisionIsReportedAsGarbledWithOffset) {
    // Two slaves answering at once: 0xE5 OR-ed with the first byte of a long frame gives 0xED,
    // and the rest is noise. After it, a clean ACK.
    FrameReader r;
    auto ev = r.feed(v({0x68, 0x12, 0x15, 0x68, 0xAA, 0xBB}));
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, K::garbled);
    EXPECT_EQ(ev[0].offset, 0u);
    EXPECT_EQ(ev[0].error.code, ErrorCode::l_field_mismatch);
    EXPECT_EQ(ev[0].error.offset, 2u);
    // The last 0x68 may still start a frame: it waits; at the end of the reply window it is
    // reported as garbled too.
    ev = r.finish();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, K::garbled);
    EXPECT_EQ(ev[0].offset, 3u);
    EXPECT_EQ(ev[0].error.code, ErrorCode::truncated_frame);
}

TEST(FrameReader, BadChecksumThenValidFrame) {
    FrameReader r;
    auto ev = r.feed(v({0x10, 0x40, 0x01, 0x42, 0x16, 0xE5}));
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].kind, K::garbled);
    EXPECT_EQ(ev[0].error.code, ErrorCode::bad_checksum);
    EXPECT_EQ(ev[0].error.offset, 3u);
    EXPECT_EQ(ev[0].length, 5u);  // the whole run up to the next valid frame
    EXPECT_EQ(ev[1].kind, K::frame);
    EXPECT_EQ(ev[1].offset, 5u);
}

TEST(FrameReader, TruncatedAtEndOfStream) {
    FrameReader r;
    EXPECT_TRUE(r.feed(v({0x68, 0x05, 0x05})).empty());
    auto ev = r.finish();
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].kind, K::garbled);
    EXPECT_EQ(ev[0].error.code, ErrorCode::truncated_frame);
    EXPECT_EQ(ev[0].length, 3u);
    // offsets keep counting after finish()
    ev = r.feed(v({0xE5}));
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].offset, 3u);
}
