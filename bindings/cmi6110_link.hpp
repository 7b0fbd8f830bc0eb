// The CMi6110 interfaces of a DUT link for Python (rigs/include/metercert/rigs/cmi6110.hpp),
// implemented in cmi6110.cpp and offered as methods of metercert.Connection (master.cpp).
#pragma once

#include <pybind11/pybind11.h>

#include "metercert/rigs/dut_link.hpp"

namespace metercert::bindings {

// cmi6110.uplinks: {"config": {…}, "uplinks": [{"time", "planned", "encoding", "payload", "readouts"}]}
pybind11::dict cmi6110_uplinks(rigs::DutLink& link);
// sim.cmi6110: the URL's run (params None) or a rerun with `params` replacing the URL's
pybind11::dict cmi6110_sim(rigs::DutLink& link, const pybind11::object& params);

}  // namespace metercert::bindings
