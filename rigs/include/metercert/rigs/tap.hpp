// Taps: every burst of bytes (or datagram) a link sends or receives, with its real timestamp,
// handed to an observer (the pcap writer, a test, a report). Transports never interpret what they
// carry beyond framing; a tap sees exactly what crossed the wire.
//
// A record says which way it went relative to the device under test (to_dut / from_dut: the DUT
// may be a slave, a master, a gateway or a meter that speaks first) and what kind of link carried
// it (LinkKind: how to frame, redact, capture and decode it). Redaction is a stage of the tap
// chain chosen per link kind (RedactingTap), so that no writer behind it ever sees a secret.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "metercert/rigs/clock.hpp"  // wall_clock_us() for records' wall time

namespace metercert::rigs {

// Which way a record went, relative to the device under test. In a conformance run the DUT is the
// device at the far end of the DUT link; in a simulator's own capture it is the simulated device
// (what it received is to_dut, what it sent from_dut, on each of its channels).
enum class Direction : std::uint8_t { to_dut = 0, from_dut = 1 };

// What kind of link carried a record: each kind has its own pcap link type (pcap.hpp), its own
// redaction rule (RedactingTap) and its own decoder of evidence. Room for wmbus (received
// frames with their radio header), datagram (UDP/DTLS, CoAP) next to the wired M-Bus.
enum class LinkKind : std::uint8_t { mbus = 0, wmbus = 1 };  // wmbus: wireless M-Bus telegrams (pcap.hpp)

// "to_dut" / "from_dut"; "mbus", "wmbus": the stable names records carry in Python and JSON.
std::string_view direction_name(Direction d) noexcept;
std::optional<Direction> direction_from_name(std::string_view name) noexcept;
std::string_view link_kind_name(LinkKind k) noexcept;
std::optional<LinkKind> link_kind_from_name(std::string_view name) noexcept;

// Flags of a tapped burst (also the pcap pseudo-header's flags byte).
inline constexpr std::uint8_t kTapParityError = 0x01;  // the UART flagged a parity/framing error
inline constexpr std::uint8_t kTapGarbled = 0x02;      // the bytes form no valid frame (collision, noise)
inline constexpr std::uint8_t kTapRedacted = 0x04;     // secret bytes replaced before recording (the link kind's rule)

struct TapRecord {
    LinkKind link = LinkKind::mbus;
    Direction direction = Direction::to_dut;
    std::uint8_t channel = 0;    // which port/bus (a rig or a gateway can tap several)
    std::uint8_t flags = 0;
    std::uint32_t baud = 0;      // line rate, 0 when the link has none (TCP)
    std::int64_t wall_us = 0;    // CLOCK_REALTIME of the first byte, µs since the Unix epoch (clock.hpp)
    std::vector<std::uint8_t> bytes;
};

class Tap {
public:
    virtual ~Tap() = default;
    virtual void record(const TapRecord& r) = 0;
};

// Keeps every record in memory (tests, evidence of a single case).
class MemoryTap : public Tap {
public:
    void record(const TapRecord& r) override { records.push_back(r); }
    std::vector<TapRecord> records;
};

// The redaction rule of one link kind over one byte stream (one channel and direction): replaces
// the secret bytes of `bytes` in place, streaming (a secret split over TCP segments or serial
// reads is caught); returns whether it replaced any.
class RedactionRule {
public:
    virtual ~RedactionRule() = default;
    virtual bool redact(std::span<std::uint8_t> bytes) = 0;
};

// The rule of a link kind, a fresh one per stream; nullptr when that kind has no secrets to hide
// (today only mbus has a rule: reference/include/metercert/devices/secrets.hpp, CMi1020 P1/P2).
std::unique_ptr<RedactionRule> redaction_rule(LinkKind kind);

// The redaction stage of a tap chain (metercert DESIGN "Secrets"): every record passes through
// the rule of its link kind (one stream per link kind, channel and direction) before `next` sees
// it; redacted records carry kTapRedacted. Every writer of evidence (pcap files, the run's
// records) sits behind one: the DUT links put it in front of their caller's tap, the simulators
// in front of their pcap writers.
class RedactingTap : public Tap {
public:
    explicit RedactingTap(Tap* next = nullptr) : next_(next) {}
    void set_next(Tap* next) { next_ = next; }
    void record(const TapRecord& r) override;

private:
    struct Stream {
        std::unique_ptr<RedactionRule> rule;  // nullptr: the kind has no rule
    };
    Tap* next_;
    std::map<std::tuple<LinkKind, std::uint8_t, Direction>, Stream> streams_;
};

// For a simulated device's own capture of a link it opened to the devices behind it (the
// CMe3100's meter bus): that link's records say to_dut for what went to the meters, but in the
// simulator's capture the simulated gateway is the device under test, so they swap.
class FromDeviceSideTap : public Tap {
public:
    explicit FromDeviceSideTap(Tap* next = nullptr) : next_(next) {}
    void set_next(Tap* next) { next_ = next; }
    void record(const TapRecord& r) override {
        if (!next_) return;
        TapRecord copy = r;
        copy.direction = r.direction == Direction::to_dut ? Direction::from_dut : Direction::to_dut;
        next_->record(copy);
    }

private:
    Tap* next_;
};

}  // namespace metercert::rigs
