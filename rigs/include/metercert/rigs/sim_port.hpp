// In-process connection to the reference bus: a BusPort over a simulated segment of CMi1020
// slaves, on a simulated clock (no wire waits: a 250-slave search runs in milliseconds of CPU
// while the clock adds up the bus time it would take at the line's baud rate).
//
// Clock model (EN 13757-2): a request takes 11 bit times per byte; a slave starts its reply
// `reply_gap_bits` bit times after the request (default 33, inside the 11 … 330 bit + 50 ms
// window); no reply costs the master's whole response timeout; garbled replies are framed with
// the FrameReader exactly as a serial port's bytes would be.
//
// The line's clock is kept exactly (a bit at 2400 baud is 416⅔ µs) and starts at the bus's
// power-on; now(), reply gaps and the taps' times are that clock to the µs (the taps' wall time
// is the port's creation on CLOCK_REALTIME plus the simulated time). The slaves see it in whole
// ms (their timers are ms timers: a readout due at 2000 ms runs once the line reaches 2000 ms).
#pragma once

#include <memory>

#include "metercert/devices/bus.hpp"
#include "metercert/master/port.hpp"
#include "metercert/rigs/tap.hpp"

namespace metercert::rigs {

class SimPort : public master::BusPort {
public:
    explicit SimPort(devices::Cmi1020Bus& bus, unsigned baud = 2400);

    master::Exchange transact(std::span<const std::uint8_t> request, Duration timeout) override;
    void send(std::span<const std::uint8_t> request, Duration settle) override;
    // The slaves live through the idle time: their meter readouts due meanwhile run.
    void idle(Duration d) override {
        now_ += to_ms(d);
        bus_.advance_to(slaves_time());
    }
    void set_baud(unsigned baud) override { baud_ = baud; }
    [[nodiscard]] unsigned baud() const override { return baud_; }
    [[nodiscard]] TimePoint now() const override { return TimePoint{from_ms(now_)}; }

    void set_tap(Tap* tap, std::uint8_t channel = 0) { tap_ = tap, channel_ = channel; }
    double reply_gap_bits = 33;
    // Extra delay added before every reply (negative: earlier): a fault's reply delay hook
    // (devices/faults.hpp; set by the sim:cmi1020 link for fault=NAME).
    Duration extra_reply_delay{};

private:
    void tap(Direction d, std::span<const std::uint8_t> bytes, double at_ms, std::uint8_t flags);
    // The line's time as the slaves see it: whole ms.
    [[nodiscard]] TimePoint slaves_time() const noexcept {
        return TimePoint{std::chrono::milliseconds(static_cast<std::int64_t>(now_))};
    }
    devices::Cmi1020Bus& bus_;
    unsigned baud_;
    double now_ = 0;  // the line's clock, exact ms since the bus's power-on
    std::int64_t wall_base_us_;
    Tap* tap_ = nullptr;
    std::uint8_t channel_ = 0;
};

// Frames the bytes of one reply window: frame when they are exactly one valid frame, garbled
// (with the link error) otherwise. Shared by every port.
master::Exchange classify_reply(std::vector<std::uint8_t> bytes);

}  // namespace metercert::rigs
