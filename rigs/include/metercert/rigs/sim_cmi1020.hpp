// sim.cmi1020: typed access to the simulated CMi1020 slaves of a sim:cmi1020 link and to the E350
// meter model behind each (rigs/links/sim_cmi1020.cpp): what only the built-in simulator can do —
// power cycles, the 230 VAC rate inputs, the meters' own state and faults, the slaves' EEPROM.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "metercert/devices/bus.hpp"

namespace metercert::rigs {

class SimCmi1020 {
public:
    virtual ~SimCmi1020() = default;
    // The simulated bus itself (a gateway simulator drives it frame by frame).
    virtual devices::Cmi1020Bus& bus() = 0;

    [[nodiscard]] std::size_t size() { return bus().size(); }
    // Slave / meter `i`; std::out_of_range naming the index otherwise.
    devices::Cmi1020& slave(std::size_t i);
    devices::E350& meter(std::size_t i);
    // Power cycle of slave i (RAM lost, EEPROM kept; CMi1020 §5.1), with the fault's hook, at the
    // line's time.
    void power_cycle(std::size_t i) { (void)slave(i), catch_up(), bus().power_cycle(i); }
    // The 230 VAC rate inputs A and B of slave i (CMi1020 §4.2.1, Table 2), at the line's time.
    void set_rate_inputs(std::size_t i, bool a, bool b) { (void)slave(i), catch_up(), slave(i).set_rate_inputs(a, b); }
    // The push button of slave i pressed (true) or released at the line's time (CMi1020 §5.3,
    // §5.4: Cmi1020::press_button / release_button).
    void set_button(std::size_t i, bool pressed) {
        devices::Cmi1020& s = slave(i);
        catch_up();
        pressed ? s.press_button() : s.release_button();
    }
    // The EEPROM state of slave i as JSON (holds the P1/P2 secrets: never log it).
    std::string state_json(std::size_t i) { return slave(i).state_json(); }

protected:
    // Brings the slaves up to the line's clock before a rig action (the link's; default: nothing).
    virtual void catch_up() {}
};

// The real E350 readout (vectors/obis/lgz-zmf100ac-m26.readout, compiled in): what simulated
// meters answer with unless told otherwise (sim:cmi1020?readout=FILE, simulate cmi1020 --readout).
std::string_view default_e350_readout() noexcept;

}  // namespace metercert::rigs
