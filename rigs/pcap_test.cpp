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
        w.record({rigs::Direction::master_to_slave, 0, 0, 2400, 1700000000123456, {0x10, 0x40, 0x05, 0x45, 0x16}});
        w.record({rigs::Direction::slave_to_master, 2, rigs::kTapGarbled | rigs::kTapParityError, 2400, 1700000000223456, {0xC0}});
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
    EXPECT_EQ(back[1].direction, rigs::Direction::slave_to_master);
    EXPECT_EQ(back[1].channel, 2);
    EXPECT_EQ(back[1].flags, rigs::kTapGarbled | rigs::kTapParityError);
    EXPECT_EQ(back[1].baud, 2400u);
    std::filesystem::remove(path);
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
    EXPECT_EQ(recs[0].direction, rigs::Direction::master_to_slave);
    EXPECT_EQ(recs[0].bytes, nke);
    EXPECT_EQ(recs[1].direction, rigs::Direction::slave_to_master);
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
