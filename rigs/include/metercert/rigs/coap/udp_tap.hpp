// A UDP tap: a relay between peers and one upstream server that sees, records and can disturb
// every datagram (CoAP, DTLS records, MQTT-SN: it does not look inside unless a fault's predicate
// does).
//
//   peer A ─┐                      ┌─ socket A ─┐
//   peer B ─┼─► public addr:port ──┼─ socket B ─┼─► upstream addr:port
//           └◄─────────────────────┘            ┘
//
// Each peer gets its own socket towards the upstream, so the upstream sees distinct peers (distinct
// source ports) as it would without the tap. Every datagram is recorded when it reaches the tap:
// in memory (`log()`: monotonic and wall time, flow, peer, bytes, what the tap did to it) and, when
// a path is given, to pcap as LINKTYPE_IPV4 (rigs/pcap.hpp PcapUdpWriter) with the PUBLIC side's
// addresses: peer → public address for datagrams towards the upstream, public address → peer for
// those back — as a capture on the public side would show them (a dropped datagram is in the
// capture: it reached the tap; its log entry says dropped).
//
// Faults (for retransmission cases, RFC 7252 §4.2): drop, or delay by a time, the datagrams number
// `first` … `first + count - 1` (1-based) among those of one flow that match a predicate.
//
// The relay runs on its own thread and stops by itself after `lifetime`, on stop(), or in the
// destructor. IPv4 only (the pcap link type).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metercert/rigs/coap/coap.hpp"
#include "metercert/time.hpp"

namespace metercert::rigs::coap {

enum class Flow : std::uint8_t { to_upstream, to_peer };
const char* flow_name(Flow f) noexcept;  // "to_upstream", "to_peer"

struct TapDatagram {
    TimePoint at{};           // monotonic time of arrival at the tap (rigs::monotonic_now(), µs)
    std::int64_t wall_us = 0; // the same instant, µs since the Unix epoch (the pcap timestamp)
    Flow flow = Flow::to_upstream;
    Address peer;             // the peer on the public side (source of to_upstream, destination of to_peer)
    Bytes bytes;
    bool dropped = false;
    Millis delayed{0};
};

struct TapFault {
    enum class Action : std::uint8_t { drop, delay };
    Action action = Action::drop;
    Flow flow = Flow::to_upstream;
    std::function<bool(const Bytes&)> match;  // empty: every datagram of the flow matches
    unsigned first = 1;                       // the first matching datagram it applies to (1-based)
    unsigned count = 1;                       // how many consecutive matching datagrams
    Millis delay{0};                          // Action::delay
};

class UdpTap {
public:
    struct Options {
        std::string address = "127.0.0.1";   // public side: where peers send to
        std::uint16_t port = 0;              // 0: a free port (port())
        std::string upstream_address = "127.0.0.1";
        std::uint16_t upstream_port = 0;
        std::string pcap_path;               // empty: no capture
        Millis lifetime{60000};              // the relay stops by itself after this
        // 0: a peer's socket towards the upstream lives as long as the tap. Else it is closed once
        // no datagram passed either way for this long (and none is delayed): a tap that sees many
        // short-lived peers (lwm2m_bench: 200 new ones a round) keeps its descriptors bounded. A
        // later datagram from that peer opens a new socket, i.e. a new source port upstream: a
        // DTLS session idle that long is lost, so keep it above the servers' session timeout.
        Millis peer_idle{0};
        // 0: log() keeps every datagram (the default). Else it keeps at least the last `log_limit`
        // (at most 2 × log_limit: the oldest are dropped in batches) and seen() still counts every
        // one; the capture file (pcap_path) still receives every datagram. For long soaks.
        std::size_t log_limit = 0;
    };
    // Throws CoapError (bad_address: not IPv4; bind_failed) or rigs::PcapError (the capture file).
    explicit UdpTap(const Options& o);
    ~UdpTap();
    UdpTap(const UdpTap&) = delete;
    UdpTap& operator=(const UdpTap&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    void add_fault(TapFault f);              // thread-safe; applies to datagrams arriving from now on
    [[nodiscard]] std::vector<TapDatagram> log() const;  // a copy, in arrival order (the last ones only with log_limit)
    [[nodiscard]] std::uint64_t seen() const;  // datagrams that reached the tap, both flows, exact (log_limit or not)
    void stop();                             // joins the relay thread
    [[nodiscard]] bool running() const noexcept { return running_; }

private:
    void loop();
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false}, running_{false};
    std::thread thread_;
};

}  // namespace metercert::rigs::coap
