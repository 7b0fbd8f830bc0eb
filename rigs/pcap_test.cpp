// pcap evidence: our link type round-trips; an ordinary Ethernet capture of TCP port 10001 (as
// tcpdump writes it) yields the M-Bus bytes per direction, retransmissions dropped.
#include <gtest/gtest.h>

#include <pcap/pcap.h>

#include <cstdio>
#include <filesystem>

#include "metercert/rigs/pcap.hpp"

using namespace metercert;
using Bytes = std::vector<std::uint8_t>;

namespace {
std::string temp_path(const char* name) {
    return (std::filesystem::temp_directory_path() / (std::string("metercert-") + std::to_string(::getpid()) + name)).string();
}
}  // namespace

TEST(Pcap, OwnLinkTypeRoundTrips) {
    const std::string path = temp_path("-own.pcap");
    {
        rigs::PcapWriter w(path);
        w.record({rigs::LinkKind::mbus, rigs::Direction::to_dut, 0, 0, 2400, 1700000000123456, {0x10, 0x40, 0x05, 0x45, 0x16}});
        w.record({rigs::LinkKind::mbus, rigs::Direction::from_dut, 2, rigs::kTapGarbled | rigs::kTapParityError, 2400,
                  1700000000223456, {0xC0}});
        EXPECT_EQ(w.written(), 2u);
    }
    // the file: pcap global header with link type 147, then 8-byte pseudo-header + bytes
    std::FILE* f = std::fopen(path.c_str(), "rb");
    ASSERT_TRUE(f);
    std::uint8_t head[24 + 16 + 8];
    ASSERT_EQ(std::fread(head, 1, sizeof head, f), sizeof head);
    std::fclose(f);
    EXPECT_EQ(head[20] | head[21] << 8, 147);                    // network (little-endian host)
    EXPECT_EQ(Bytes(head + 40, head + 48), (Bytes{1, 0, 0, 0, 0, 0, 0x09, 0x60}));  // 2400 = 0x960
    const auto back = rigs::read_pcap(path);
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].bytes, (Bytes{0x10, 0x40, 0x05, 0x45, 0x16}));
    EXPECT_EQ(back[0].wall_us, 1700000000123456);
    EXPECT_EQ(back[0].direction, rigs::Direction::to_dut);
    EXPECT_EQ(back[0].link, rigs::LinkKind::mbus);
    EXPECT_EQ(back[1].direction, rigs::Direction::from_dut);
    EXPECT_EQ(back[1].channel, 2);
    EXPECT_EQ(back[1].flags, rigs::kTapGarbled | rigs::kTapParityError);
    EXPECT_EQ(back[1].baud, 2400u);
    std::filesystem::remove(path);
}

// Directions are relative to the DUT, and the file format is the one written before they were:
// a capture written byte for byte as the first versions did (pseudo-header version 1, direction 0
// for the master's SND_NKE to a slave DUT, 1 for its ACK) reads back as to_dut / from_dut, and a
// capture written now has exactly those bytes.
TEST(Pcap, DirectionsRelativeToTheDutKeepTheFileFormat) {
    const std::string path = temp_path("-old.pcap");
    const Bytes header{0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0, 147, 0, 0, 0};
    auto packet = [](std::uint32_t usec, std::uint8_t direction, const Bytes& mbus) {
        // record header: 1700000000 s, usec, caplen, len (little-endian); then the pseudo-header
        const auto len = static_cast<std::uint32_t>(8 + mbus.size());
        Bytes p;
        for (std::uint32_t v : {1700000000u, usec, len, len})
            for (int i = 0; i < 4; ++i) p.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        for (std::uint8_t b : {std::uint8_t{1}, direction, std::uint8_t{0}, std::uint8_t{0}, std::uint8_t{0}, std::uint8_t{0},
                               std::uint8_t{0x09}, std::uint8_t{0x60}})
            p.push_back(b);
        for (std::uint8_t b : mbus) p.push_back(b);
        return p;
    };
    Bytes old = header;
    for (const Bytes& p : {packet(1000, 0, {0x10, 0x40, 0x05, 0x45, 0x16}), packet(90000, 1, {0xE5})}) old.insert(old.end(), p.begin(), p.end());
    {
        std::FILE* f = std::fopen(path.c_str(), "wb");
        ASSERT_TRUE(f);
        std::fwrite(old.data(), 1, old.size(), f);
        std::fclose(f);
    }
    const auto recs = rigs::read_pcap(path);
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].direction, rigs::Direction::to_dut);
    EXPECT_EQ(recs[1].direction, rigs::Direction::from_dut);
    EXPECT_EQ(recs[1].wall_us, 1700000000090000);
    EXPECT_EQ(recs[1].bytes, Bytes{0xE5});
    {
        rigs::PcapWriter w(path);
        for (const auto& r : recs) w.record(r);
    }
    std::FILE* f = std::fopen(path.c_str(), "rb");
    ASSERT_TRUE(f);
    Bytes now(old.size() + 1);
    now.resize(std::fread(now.data(), 1, now.size(), f));
    std::fclose(f);
    EXPECT_EQ(Bytes(now.begin() + 24, now.end()), Bytes(old.begin() + 24, old.end()));  // every packet, byte for byte
    EXPECT_EQ(now[20], 147);
    std::filesystem::remove(path);
}

TEST(Pcap, EachLinkKindHasItsLinkTypeAndNames) {
    EXPECT_EQ(rigs::pcap_linktype(rigs::LinkKind::mbus), 147);
    EXPECT_EQ(rigs::link_kind_of_pcap(147), rigs::LinkKind::mbus);
    EXPECT_FALSE(rigs::link_kind_of_pcap(1).has_value());
    EXPECT_EQ(rigs::direction_name(rigs::Direction::to_dut), "to_dut");
    EXPECT_EQ(rigs::direction_name(rigs::Direction::from_dut), "from_dut");
    EXPECT_EQ(rigs::direction_from_name("from_dut"), rigs::Direction::from_dut);
    EXPECT_FALSE(rigs::direction_from_name("master_to_slave").has_value());
    EXPECT_EQ(rigs::link_kind_name(rigs::LinkKind::mbus), "mbus");
    EXPECT_EQ(rigs::link_kind_from_name("mbus"), rigs::LinkKind::mbus);
}

namespace {
// Ethernet + IPv4 + TCP (no options) carrying `payload`; checksums left zero (tcpdump keeps them
// as captured; the reader does not verify them).
Bytes tcp_packet(std::uint16_t sport, std::uint16_t dport, std::uint32_t seq, std::uint8_t flags, const Bytes& payload) {
    Bytes p(14, 0);
    p[12] = 0x08;  // IPv4
    const std::size_t total = 20 + 20 + payload.size();
    Bytes ip{0x45, 0, static_cast<std::uint8_t>(total >> 8), static_cast<std::uint8_t>(total), 0, 0, 0, 0, 64, 6, 0, 0,
             10, 0, 0, 1, 10, 0, 0, 2};
    if (sport == 10001) std::swap_ranges(ip.begin() + 12, ip.begin() + 16, ip.begin() + 16);
    Bytes tcp{static_cast<std::uint8_t>(sport >> 8), static_cast<std::uint8_t>(sport), static_cast<std::uint8_t>(dport >> 8),
              static_cast<std::uint8_t>(dport), static_cast<std::uint8_t>(seq >> 24), static_cast<std::uint8_t>(seq >> 16),
              static_cast<std::uint8_t>(seq >> 8), static_cast<std::uint8_t>(seq), 0, 0, 0, 0, 0x50, flags, 0x10, 0, 0, 0, 0, 0};
    p.insert(p.end(), ip.begin(), ip.end());
    p.insert(p.end(), tcp.begin(), tcp.end());
    p.insert(p.end(), payload.begin(), payload.end());
    return p;
}
}  // namespace

TEST(Pcap, TcpCaptureOfAGatewayYieldsTheMbusBytes) {
    const std::string path = temp_path("-tcp.pcap");
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
    pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
    ASSERT_TRUE(d);
    auto put = [&](const Bytes& pkt, long usec) {
        pcap_pkthdr h{};
        h.ts.tv_sec = 1700000000;
        h.ts.tv_usec = usec;
        h.caplen = h.len = static_cast<bpf_u_int32>(pkt.size());
        pcap_dump(reinterpret_cast<u_char*>(d), &h, pkt.data());
    };
    const Bytes nke{0x10, 0x40, 0x05, 0x45, 0x16};
    put(tcp_packet(40000, 10001, 999, 0x02, {}), 0);            // SYN from the head-end
    put(tcp_packet(40000, 10001, 1000, 0x18, nke), 100);        // SND_NKE
    put(tcp_packet(40000, 10001, 1000, 0x18, nke), 150);        // retransmission: dropped
    put(tcp_packet(10001, 40000, 5000, 0x18, {0xE5}), 200);     // ACK from the gateway
    put(tcp_packet(40000, 80, 1, 0x18, {0x47, 0x45, 0x54}), 300);  // other traffic: ignored
    pcap_dump_close(d);
    pcap_close(dead);
    const auto recs = rigs::read_pcap(path, 10001);
    ASSERT_EQ(recs.size(), 2u);
    EXPECT_EQ(recs[0].direction, rigs::Direction::to_dut);
    EXPECT_EQ(recs[0].bytes, nke);
    EXPECT_EQ(recs[1].direction, rigs::Direction::from_dut);
    EXPECT_EQ(recs[1].bytes, Bytes{0xE5});
    EXPECT_EQ(recs[1].wall_us, 1700000000000200);
    std::filesystem::remove(path);
}

TEST(Pcap, ErrorsNameTheFile) {
    try {
        rigs::read_pcap("/nonexistent/x.pcap");
        FAIL();
    } catch (const rigs::PcapError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/x.pcap"), std::string::npos);
    }
    EXPECT_THROW(rigs::PcapWriter("/nonexistent/dir/x.pcap"), rigs::PcapError);
}
