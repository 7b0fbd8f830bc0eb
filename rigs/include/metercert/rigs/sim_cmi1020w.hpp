// sim.cmi1020w: typed access to the simulated CMi1020W of a sim:cmi1020w link and to the E350
// meter model it reads (rigs/links/sim_cmi1020w.cpp): what only the built-in simulator can do —
// power cycles, the rate inputs, the tariff-failure flag, the meter's own state and faults, the
// module's options. The module and the meter run on the link's simulated clock, which advances only
// while a caller waits in WmbusReceiver::receive() (wmbus_receiver.hpp) or idle()s here.
#pragma once

#include <string>

#include "metercert/devices/cmi1020w.hpp"
#include "metercert/devices/e350.hpp"
#include "metercert/time.hpp"

namespace metercert::rigs {

class SimCmi1020W {
public:
    virtual ~SimCmi1020W() = default;
    // The module (cmi1020w.hpp: options(), access_number(), red_led(), sent(), tariff_set_failed)
    // and the E350 model it reads at every telegram (its readout, faults, executed commands).
    virtual devices::Cmi1020W& module() = 0;
    virtual devices::E350& meter() = 0;
    // Power-up of the module now (manual "operation and function"): its RAM is lost (the access
    // number restarts, ERRATA E-55), the first meter read and telegram follow 15 s later; the
    // meter keeps its state.
    virtual void power_cycle() = 0;
    // When the module was last powered up, on the link's clock (TimePoint{} at the link's open).
    [[nodiscard]] virtual TimePoint powered_up_at() const = 0;
    // Let `d` of simulated time pass without receiving (telegrams sent meanwhile are lost, as on air
    // with no receiver listening; they are not tapped).
    virtual void idle(Duration d) = 0;
};

}  // namespace metercert::rigs
