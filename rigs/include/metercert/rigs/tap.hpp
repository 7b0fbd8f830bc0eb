// Taps: every burst of bytes a transport sends or receives, with its real timestamp, handed to
// an observer (the pcap writer, a test, a report). Transports never interpret M-Bus beyond
// framing; a tap sees exactly what crossed the wire.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <utility>
#include <vector>

#include "metercert/devices/secrets.hpp"

namespace metercert::rigs {

enum class Direction : std::uint8_t { master_to_slave = 0, slave_to_master = 1 };

// Flags of a tapped burst (also the pcap pseudo-header's flags byte).
inline constexpr std::uint8_t kTapParityError = 0x01;  // the UART flagged a parity/framing error
inline constexpr std::uint8_t kTapGarbled = 0x02;      // the bytes form no valid frame (collision, noise)
inline constexpr std::uint8_t kTapRedacted = 0x04;     // secret bytes (P1/P2) replaced by 0x2A before recording

struct TapRecord {
    Direction direction = Direction::master_to_slave;
    std::uint8_t channel = 0;    // which port/bus (a rig can tap several)
    std::uint8_t flags = 0;
    std::uint32_t baud = 0;      // line rate, 0 when not a UART (TCP)
    std::int64_t wall_us = 0;    // CLOCK_REALTIME of the first byte, µs since the Unix epoch
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

// The redaction stage of a tap chain (metercert DESIGN "Secrets"): every record passes through
// devices::SecretRedactor (one stream per channel and direction, so a secret split over TCP
// segments or serial reads is caught) before `next` sees it; redacted records carry
// kTapRedacted. Every writer of evidence (pcap files, the run's records) sits behind one.
class RedactingTap : public Tap {
public:
    explicit RedactingTap(Tap* next = nullptr) : next_(next) {}
    void set_next(Tap* next) { next_ = next; }
    void record(const TapRecord& r) override {
        if (!next_) return;
        TapRecord copy = r;
        if (streams_[{copy.channel, copy.direction}].redact(copy.bytes)) copy.flags |= kTapRedacted;
        next_->record(copy);
    }

private:
    Tap* next_;
    std::map<std::pair<std::uint8_t, Direction>, devices::SecretRedactor> streams_;
};

// CLOCK_REALTIME in µs.
std::int64_t wall_clock_us() noexcept;
// CLOCK_MONOTONIC in ms.
double monotonic_ms() noexcept;

}  // namespace metercert::rigs
