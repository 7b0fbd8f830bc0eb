// A simulated M-Bus segment of CMi1020 slaves behind one master port (pure logic, no I/O).
//
// Every master frame reaches every slave; their replies are what the master sees. When several
// slaves answer at once their replies collide as on a real bus (mbus/collision.hpp: the master's
// UART receives the AND of the overlapping bits, each slave starting at its own fraction of a
// bit) — in general no valid frame, which a FrameReader reports as garbled.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "metercert/devices/cmi1020.hpp"
#include "metercert/devices/faults.hpp"

namespace metercert::devices {

struct BusOptions {
    std::size_t count = 1;
    // Identification numbers (8 BCD digits) consecutive from here, set as each slave's secondary
    // address (Table 4 "manually set"). nullopt: a single slave keeps the Table 4 default (the
    // meter's C.1.0); several slaves get 13647123, 13647124, … so that they stay distinct.
    std::optional<std::uint32_t> secondary;
    std::uint8_t address = 0;       // primary address of the first slave; the next get +1 (0: all 0)
    std::string readout;            // IEC 62056-21 readout every meter answers with
    std::uint32_t fabrication_base = 0x70000001;  // label serial numbers, consecutive
    Duration first_readout = std::chrono::seconds(2);  // each slave's first meter readout after power-on
    // Explicit identification numbers (8 BCD digits each), one per slave; overrides `secondary`
    // and `count` when not empty (e.g. a population of random serial numbers).
    std::vector<std::uint32_t> secondaries{};
};

class Cmi1020Bus {
public:
    explicit Cmi1020Bus(const BusOptions& options);

    // One master frame at time `now` (the slaves first live up to it): the bytes on the wire in
    // reply (nullopt: silence). With `baud` non-zero only the slaves set to that rate understand
    // the frame (a slave at another rate sees framing errors and stays silent).
    std::optional<std::vector<std::uint8_t>> on_frame(std::span<const std::uint8_t> frame, TimePoint now,
                                                      unsigned baud = 0);
    void advance_to(TimePoint now);
    // The earliest next_deadline() of the slaves (nullopt: no slave).
    [[nodiscard]] std::optional<TimePoint> next_deadline() const noexcept;
    // Power cycle of slave i (Cmi1020::power_cycle, with the fault's power cycle hook).
    void power_cycle(std::size_t i);

    [[nodiscard]] std::size_t size() const noexcept { return slaves_.size(); }
    Cmi1020& slave(std::size_t i) { return *slaves_.at(i); }
    E350& meter(std::size_t i) { return *meters_.at(i); }
    [[nodiscard]] std::size_t collisions() const noexcept { return collisions_; }

    // A deviation every slave of this bus shows (faults.hpp: find_cmi1020_fault); nullptr, the
    // reference. The bus applies its frame hooks, each slave those of its own logic.
    void set_fault(const Cmi1020FaultSpec* f);
    [[nodiscard]] const Cmi1020FaultSpec* fault() const noexcept { return fault_; }
    // Parity/framing errors of the most recent collision (0 without one).
    [[nodiscard]] std::size_t last_line_errors() const noexcept { return last_line_errors_; }

private:
    std::vector<std::unique_ptr<E350>> meters_;
    std::vector<std::unique_ptr<Cmi1020>> slaves_;
    const Cmi1020FaultSpec* fault_ = nullptr;
    std::size_t collisions_ = 0;
    std::size_t last_line_errors_ = 0;
};

}  // namespace metercert::devices
