#include "metercert/rigs/pcap.hpp"

#include <pcap/pcap.h>

#include <cstring>
#include <map>
#include <tuple>

#include <fmt/format.h>

namespace metercert::rigs {

int pcap_linktype(LinkKind kind) noexcept {
    switch (kind) {
        case LinkKind::mbus: return kLinktypeMbus;
        case LinkKind::wmbus: return kLinktypeWmbus;
    }
    return -1;
}

std::optional<LinkKind> link_kind_of_pcap(int linktype) noexcept {
    if (linktype == kLinktypeMbus) return LinkKind::mbus;
    if (linktype == kLinktypeWmbus) return LinkKind::wmbus;
    return std::nullopt;
}

struct PcapWriter::Impl {
    pcap_t* dead = nullptr;
    pcap_dumper_t* dumper = nullptr;
};

PcapWriter::PcapWriter(const std::string& path, LinkKind kind) : impl_(std::make_unique<Impl>()), kind_(kind) {
    impl_->dead = pcap_open_dead(pcap_linktype(kind), 65535);
    if (!impl_->dead) throw PcapError("pcap: cannot create a capture handle");
    impl_->dumper = pcap_dump_open(impl_->dead, path.c_str());
    if (!impl_->dumper) {
        const std::string why = pcap_geterr(impl_->dead);
        pcap_close(impl_->dead);
        throw PcapError(fmt::format("pcap: cannot write {}: {}", path, why));
    }
    pcap_dump_flush(impl_->dumper);  // the file header is on disk even if nothing follows
}

PcapWriter::~PcapWriter() {
    if (impl_->dumper) pcap_dump_close(impl_->dumper);
    if (impl_->dead) pcap_close(impl_->dead);
}

void PcapWriter::record(const TapRecord& r) {
    if (r.link != kind_)
        throw PcapError(fmt::format("pcap: a {} record in a capture of {} (link type {})", link_kind_name(r.link),
                                    link_kind_name(kind_), pcap_linktype(kind_)));
    std::vector<std::uint8_t> pkt(kPseudoHeaderSize + r.bytes.size());
    pkt[0] = 1;
    pkt[1] = static_cast<std::uint8_t>(r.direction);
    pkt[2] = r.channel;
    pkt[3] = r.flags;
    pkt[4] = static_cast<std::uint8_t>(r.baud >> 24);
    pkt[5] = static_cast<std::uint8_t>(r.baud >> 16);
    pkt[6] = static_cast<std::uint8_t>(r.baud >> 8);
    pkt[7] = static_cast<std::uint8_t>(r.baud);
    if (!r.bytes.empty()) std::memcpy(pkt.data() + kPseudoHeaderSize, r.bytes.data(), r.bytes.size());
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(r.wall_us / 1000000);
    h.ts.tv_usec = static_cast<suseconds_t>(r.wall_us % 1000000);
    h.caplen = h.len = static_cast<bpf_u_int32>(pkt.size());
    pcap_dump(reinterpret_cast<u_char*>(impl_->dumper), &h, pkt.data());
    pcap_dump_flush(impl_->dumper);
    ++written_;
}

struct PcapUdpWriter::Impl {
    pcap_t* dead = nullptr;
    pcap_dumper_t* dumper = nullptr;
};

PcapUdpWriter::PcapUdpWriter(const std::string& path) : impl_(std::make_unique<Impl>()) {
    impl_->dead = pcap_open_dead(kLinktypeIpv4, 65535);
    if (!impl_->dead) throw PcapError("pcap: cannot create a capture handle");
    impl_->dumper = pcap_dump_open(impl_->dead, path.c_str());
    if (!impl_->dumper) {
        const std::string why = pcap_geterr(impl_->dead);
        pcap_close(impl_->dead);
        throw PcapError(fmt::format("pcap: cannot write {}: {}", path, why));
    }
    pcap_dump_flush(impl_->dumper);
}

PcapUdpWriter::~PcapUdpWriter() {
    if (impl_->dumper) pcap_dump_close(impl_->dumper);
    if (impl_->dead) pcap_close(impl_->dead);
}

void PcapUdpWriter::write(std::int64_t wall_us, Ipv4Port src, Ipv4Port dst, const std::vector<std::uint8_t>& datagram) {
    if (datagram.size() > 65507) throw PcapError(fmt::format("pcap: a UDP datagram of {} bytes (IPv4 allows 65507)", datagram.size()));
    const std::size_t total = 20 + 8 + datagram.size();
    std::vector<std::uint8_t> pkt(total);
    auto put16 = [&](std::size_t at, std::uint32_t v) {
        pkt[at] = static_cast<std::uint8_t>(v >> 8);
        pkt[at + 1] = static_cast<std::uint8_t>(v);
    };
    auto put32 = [&](std::size_t at, std::uint32_t v) {
        put16(at, v >> 16);
        put16(at + 2, v & 0xFFFF);
    };
    pkt[0] = 0x45;  // version 4, IHL 5 words
    put16(2, static_cast<std::uint32_t>(total));
    put16(4, ip_id_++);
    put16(6, 0x4000);  // DF
    pkt[8] = 64;       // TTL
    pkt[9] = 17;       // UDP
    put32(12, src.address);
    put32(16, dst.address);
    std::uint32_t sum = 0;  // RFC 791 §3.1: one's complement of the one's complement sum of the header's 16-bit words
    for (std::size_t i = 0; i < 20; i += 2) sum += (pkt[i] << 8) | pkt[i + 1];
    while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
    put16(10, ~sum & 0xFFFF);
    put16(20, src.port);
    put16(22, dst.port);
    put16(24, static_cast<std::uint32_t>(8 + datagram.size()));
    // checksum 0: none (RFC 768)
    if (!datagram.empty()) std::memcpy(pkt.data() + 28, datagram.data(), datagram.size());
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(wall_us / 1000000);
    h.ts.tv_usec = static_cast<suseconds_t>(wall_us % 1000000);
    h.caplen = h.len = static_cast<bpf_u_int32>(pkt.size());
    pcap_dump(reinterpret_cast<u_char*>(impl_->dumper), &h, pkt.data());
    pcap_dump_flush(impl_->dumper);
    ++written_;
}

namespace {

std::uint16_t be16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t be32(const std::uint8_t* p) {
    return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
           (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}

struct TcpStream {
    bool started = false;
    std::uint32_t next_seq = 0;
};

// One TCP segment of an IPv4 packet starting at `ip`; appends a record when it carries new
// payload to or from `port`.
void tcp_segment(const std::uint8_t* ip, std::size_t len, std::int64_t ts, std::uint16_t port,
                 std::map<std::tuple<std::uint32_t, std::uint16_t, std::uint32_t, std::uint16_t>, TcpStream>& streams, std::vector<TapRecord>& out) {
    if (len < 20 || (ip[0] >> 4) != 4) return;
    const std::size_t ihl = (ip[0] & 0xF) * 4u;
    const std::size_t total = be16(ip + 2);
    if (ip[9] != 6 || ihl < 20 || total > len || total < ihl + 20) return;
    const std::uint8_t* tcp = ip + ihl;
    const std::uint16_t sport = be16(tcp), dport = be16(tcp + 2);
    if (sport != port && dport != port) return;
    const std::size_t thl = (tcp[12] >> 4) * 4u;
    if (thl < 20 || ihl + thl > total) return;
    std::uint32_t seq = be32(tcp + 4);
    const std::uint8_t* payload = tcp + thl;
    std::size_t n = total - ihl - thl;
    TcpStream& s = streams[{be32(ip + 12), sport, be32(ip + 16), dport}];
    const bool syn = tcp[13] & 0x02;
    if (syn) {
        s.started = true;
        s.next_seq = seq + 1;
        return;
    }
    if (n == 0) return;
    if (s.started) {  // drop bytes already delivered (retransmissions)
        const auto ahead = static_cast<std::int32_t>(seq - s.next_seq);
        if (ahead < 0) {
            const auto skip = static_cast<std::size_t>(-static_cast<std::int64_t>(ahead));
            if (skip >= n) return;
            payload += skip;
            n -= skip;
            seq += static_cast<std::uint32_t>(skip);
        }
    }
    s.started = true;
    s.next_seq = seq + static_cast<std::uint32_t>(n);
    TapRecord r;
    r.link = LinkKind::mbus;
    r.direction = dport == port ? Direction::to_dut : Direction::from_dut;
    r.wall_us = ts;
    r.bytes.assign(payload, payload + n);
    out.push_back(std::move(r));
}

}  // namespace

std::vector<TapRecord> read_pcap(const std::string& path, std::uint16_t tcp_port) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    pcap_t* p = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!p) throw PcapError(fmt::format("pcap: cannot read {}: {}", path, errbuf));
    const int lt = pcap_datalink(p);
    std::vector<TapRecord> out;
    std::map<std::tuple<std::uint32_t, std::uint16_t, std::uint32_t, std::uint16_t>, TcpStream> streams;
    pcap_pkthdr* h = nullptr;
    const u_char* data = nullptr;
    std::size_t number = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        ++number;
        const std::int64_t ts = static_cast<std::int64_t>(h->ts.tv_sec) * 1000000 + h->ts.tv_usec;
        const std::size_t n = h->caplen;
        if (lt == kLinktypeMbus || lt == kLinktypeWmbus) {
            if (n < kPseudoHeaderSize || data[0] != 1 || data[1] > 1) {
                pcap_close(p);
                throw PcapError(fmt::format("pcap: {} packet {}: malformed metercert pseudo-header", path, number));
            }
            TapRecord r;
            r.link = lt == kLinktypeMbus ? LinkKind::mbus : LinkKind::wmbus;
            r.direction = static_cast<Direction>(data[1]);
            r.channel = data[2];
            r.flags = data[3];
            r.baud = be32(data + 4);
            r.wall_us = ts;
            r.bytes.assign(data + kPseudoHeaderSize, data + n);
            out.push_back(std::move(r));
        } else if (lt == DLT_EN10MB) {
            if (n < 14) continue;
            std::size_t off = 12;
            std::uint16_t type = be16(data + off);
            while ((type == 0x8100 || type == 0x88A8) && n >= off + 6) {  // VLAN tags
                off += 4;
                type = be16(data + off);
            }
            if (type == 0x0800) tcp_segment(data + off + 2, n - off - 2, ts, tcp_port, streams, out);
        } else if (lt == DLT_LINUX_SLL) {
            if (n >= 16 && be16(data + 14) == 0x0800) tcp_segment(data + 16, n - 16, ts, tcp_port, streams, out);
        } else if (lt == DLT_RAW || lt == 228 /* LINKTYPE_IPV4 */) {
            tcp_segment(data, n, ts, tcp_port, streams, out);
        } else {
            pcap_close(p);
            throw PcapError(fmt::format("pcap: {}: link type {} is neither metercert's (147, 148) nor Ethernet/SLL/raw IPv4", path, lt));
        }
    }
    if (rc == -1) {
        const std::string why = pcap_geterr(p);
        pcap_close(p);
        throw PcapError(fmt::format("pcap: {} after packet {}: {}", path, number, why));
    }
    pcap_close(p);
    return out;
}

}  // namespace metercert::rigs
