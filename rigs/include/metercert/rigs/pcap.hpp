// Evidence as pcap (libpcap), and back.
//
// Each link kind (tap.hpp) has its own pcap link type; a capture file holds one link kind (classic
// pcap has one link type per file: a run over several link kinds writes one file per kind, or
// pcapng, when the second kind lands).
//
// Wired M-Bus (LinkKind::mbus): link type LINKTYPE_USER0 (147), unchanged since the first captures.
// Each packet is one burst (a master frame, or a reply window's bytes) after an 8-byte
// pseudo-header, all fields big-endian:
//
//   offset 0  version    0x01
//   offset 1  direction  0 = to the DUT, 1 = from the DUT (tap.hpp). When the DUT is an M-Bus
//                        slave (every capture written before directions were named relative to
//                        the DUT, except channel 0 of `simulate cme3100`, the gateway's own meter
//                        bus) that is 0 = master → slave, 1 = slave → master, as before.
//   offset 2  channel    port/bus number of the rig (0 for a single port)
//   offset 3  flags      bit 0 parity/framing error seen, bit 1 not a valid frame (garbled),
//                        bit 2 redacted (secret bytes of a P1/P2 command replaced by 0x2A '*')
//   offset 4  baud       uint32, line rate in bit/s (0 = not a UART, e.g. TCP)
//   offset 8  the M-Bus bytes as they crossed the wire
//
// Wireless M-Bus (LinkKind::wmbus, `simulate cmi1020w`): link type LINKTYPE_USER1 (148), the same
// pseudo-header (baud 0) before one telegram as sent (EN 13757-4 frame format A, CRCs included),
// or as a receiver stick passed it on (the wmbus+im871a:// / wmbus+amb8465:// links: CRCs
// removed, L + 1 bytes). rigs/wireshark/wmbus.lua dissects it (and tells the two by the length).
//
// Timestamps are the real time of the burst's first byte (µs). rigs/wireshark/mbus.lua dissects
// this link type. read_pcap() also accepts an ordinary Ethernet/Linux-cooked capture of TCP
// traffic (e.g. `tcpdump -w` of a head-end talking to a CMe3000 on port 10001): each TCP segment
// carrying payload on the given port becomes an M-Bus burst (to the port = to the DUT).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "metercert/rigs/tap.hpp"

namespace metercert::rigs {

inline constexpr int kLinktypeMbus = 147;   // LINKTYPE_USER0
inline constexpr int kLinktypeWmbus = 148;  // LINKTYPE_USER1
inline constexpr std::size_t kPseudoHeaderSize = 8;

// The pcap link type of a link kind's captures (mbus: 147); the link kind of a link type, if it
// is one of ours.
int pcap_linktype(LinkKind kind) noexcept;
std::optional<LinkKind> link_kind_of_pcap(int linktype) noexcept;

class PcapError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Writes records of one link kind as they come and flushes each one, so an interrupted run keeps
// them. A record of another kind is a PcapError (it would need another link type).
class PcapWriter : public Tap {
public:
    explicit PcapWriter(const std::string& path, LinkKind kind = LinkKind::mbus);  // throws PcapError naming the path
    ~PcapWriter() override;
    PcapWriter(const PcapWriter&) = delete;
    PcapWriter& operator=(const PcapWriter&) = delete;
    void record(const TapRecord& r) override;
    [[nodiscard]] std::size_t written() const noexcept { return written_; }
    [[nodiscard]] LinkKind kind() const noexcept { return kind_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    LinkKind kind_;
    std::size_t written_ = 0;
};

// Forwards to several taps (e.g. a pcap file and the report's evidence).
class TeeTap : public Tap {
public:
    void add(Tap* t) { taps_.push_back(t); }
    void record(const TapRecord& r) override {
        for (Tap* t : taps_) t->record(r);
    }

private:
    std::vector<Tap*> taps_;
};

// UDP datagrams as IPv4 packets (CoAP, DTLS, MQTT-SN over UDP: issue 15): link type LINKTYPE_IPV4
// (228, tcpdump.org link-layer header types), each packet a synthesised IPv4 header (RFC 791 §3.1:
// version 4, IHL 5, DF, TTL 64, protocol 17, header checksum) and UDP header (RFC 768: ports,
// length, checksum 0 = none, allowed over IPv4) before the datagram, with the real addresses and
// ports, so tshark dissects CoAP on 5683, DTLS on 5684 (or any port with `-d udp.port==P,coap`).
inline constexpr int kLinktypeIpv4 = 228;

struct Ipv4Port {
    std::uint32_t address = 0;  // IPv4, host byte order (127.0.0.1 = 0x7F000001)
    std::uint16_t port = 0;
};

// Writes one datagram per record, flushed each time. Throws PcapError naming the path; a datagram
// over 65507 bytes (the IPv4 UDP maximum) is a PcapError too.
class PcapUdpWriter {
public:
    explicit PcapUdpWriter(const std::string& path);
    ~PcapUdpWriter();
    PcapUdpWriter(const PcapUdpWriter&) = delete;
    PcapUdpWriter& operator=(const PcapUdpWriter&) = delete;
    // `wall_us`: µs since the Unix epoch (rigs::wall_clock_us()).
    void write(std::int64_t wall_us, Ipv4Port src, Ipv4Port dst, const std::vector<std::uint8_t>& datagram);
    [[nodiscard]] std::size_t written() const noexcept { return written_; }

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::size_t written_ = 0;
    std::uint16_t ip_id_ = 0;
};

// Reads a capture back, each record with its link kind. Link type 147 with our pseudo-header (M-Bus), or Ethernet (1) / Linux cooked
// (113) / raw IPv4 (101, 228) carrying TCP on `tcp_port`. Throws PcapError (file, packet number,
// what) on an unreadable file, an unknown link type or a malformed pseudo-header.
std::vector<TapRecord> read_pcap(const std::string& path, std::uint16_t tcp_port = 10001);

}  // namespace metercert::rigs
