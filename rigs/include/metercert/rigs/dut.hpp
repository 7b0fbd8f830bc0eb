// Device-under-test URLs (metercert DESIGN "Interfaces"): one string names how to reach a DUT.
//
//   sim:cmi1020?count=3&secondary=13647123&address=1&baud=2400&gap_bits=33&ids=random:7
//        in-process reference CMi1020 slaves on a simulated bus (simulated clock); IDs
//        consecutive from `secondary` (default) or random (ids=random:SEED); fault=NAME makes
//        every slave deviate one way (reference/include/metercert/devices/faults.hpp)
//   tcp://HOST:PORT?latency=MS        a transparent gateway (CMe3000, port 10001) or a simulator
//   tcp-listen://HOST:PORT?wait=MS    wait for a device that connects to us (a gateway in connect
//                                     mode), then talk to it as over tcp://
//   serial:///dev/ttyUSB0?baud=2400&echo=1&latency=MS
//        a level converter / UART, 8E1 (libserialport; termios for ptys)
//
// Errors: DutError (a usage error: unknown scheme, bad parameter) naming the URL and the part;
// PortError(connect_failed) when the device cannot be reached.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include "metercert/devices/bus.hpp"
#include "metercert/master/port.hpp"
#include "metercert/rigs/tap.hpp"

namespace metercert::rigs {

class DutError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct DutUrl {
    std::string scheme;  // "sim", "tcp", "serial"
    std::string target;  // sim: device name; tcp: host:port; serial: device path
    std::map<std::string, std::string> params;
    static DutUrl parse(const std::string& url);  // throws DutError
};

struct Dut {
    std::string url;
    std::string description;                      // e.g. "3 simulated CMi1020 slave(s)"
    std::unique_ptr<devices::Cmi1020Bus> bus;     // sim: the reference slaves (the meter model)
    std::unique_ptr<RedactingTap> redaction;      // between the port and the caller's tap
    std::unique_ptr<master::BusPort> port;
};

// Opens the DUT. `default_readout` is the IEC 62056-21 readout simulated meters answer with
// (param readout=FILE overrides it). Every byte on the port is tapped to `tap` when given,
// through a RedactingTap: the caller's tap never sees a secret (P1/P2, devices/secrets.hpp).
// tcp-listen: `on_listening` gets the bound port before the wait for the device (port 0 = any).
Dut open_dut(const std::string& url, const std::string& default_readout, Tap* tap = nullptr,
             const std::function<void(std::uint16_t)>& on_listening = {});

}  // namespace metercert::rigs
