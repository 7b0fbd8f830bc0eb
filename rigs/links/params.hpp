// What the link files share: reading a URL's parameters (each one named in its error), M-Bus
// rates, identification numbers, readout files, host:port; and FdLink, a DUT link over one
// FdPort (tcp://, tcp-listen://, serial://, and the TCP side of the process simulators).
// Private to rigs/links/.
#pragma once

#include <optional>
#include <filesystem>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "metercert/rigs/dut_link.hpp"
#include "metercert/rigs/fd_port.hpp"

namespace metercert::rigs::links {

// The parameters of one URL: each read one is marked used; check_all_used() names any other.
struct Params {
    const DutUrl& u;
    std::map<std::string, bool> used{};
    bool has(const std::string& k) { return used[k] = true, u.params.count(k) != 0; }
    std::string str(const std::string& k, const std::string& def) { return has(k) ? u.params.at(k) : def; }
    unsigned long num(const std::string& k, unsigned long def, unsigned long lo, unsigned long hi);
    // A decimal number of seconds in lo…hi (nullopt when the parameter is absent).
    std::optional<double> seconds(const std::string& k, double lo, double hi);
    void check_all_used();
};

// A DutError "DUT URL 'URL': what".
[[noreturn]] void fail(const DutUrl& u, const std::string& what);

std::uint32_t identification_param(const DutUrl& u, const std::string& s);
// An M-Bus rate (300…38400); DutError naming `name` otherwise.
unsigned mbus_baud(const DutUrl& u, unsigned long b, const std::string& name = "baud");
// readout=FILE: an IEC 62056-21 readout, framed or a bare data block (obis::normalize_readout),
// checked here so that a bad file is a usage error naming the parameter, line and column.
std::string readout_param(const DutUrl& u, const std::string& path);

// endpoint=, psk_id=, psk= (hex), bootstrap= of lwm2m:// and sim:cmi6110?network=1 into `l`
// (lwm2m.cpp); DutError naming the parameter (never the key's value).
void lwm2m_params(Params& p, Lwm2mListen& l, bool endpoint_required);

struct HostPort {
    std::string host;
    std::uint16_t port = 0;
};
// HOST:PORT of tcp:// (port 1…65535) or tcp-listen:// (port 0 = any free one).
HostPort host_port(const DutUrl& u, bool port_zero_ok);

// A DUT link over one FdPort: mbus.request, and mbus.line when the port is a real UART.
class FdLink : public DutLink, public MbusLine {
public:
    FdLink(const DutUrl& u, Tap* tap) : DutLink(u.text, tap) {}
    void attach(int fd, const FdPortOptions& o, bool line, std::string description);
    master::BusPort* mbus_request() override { return port_.get(); }
    MbusLine* mbus_line() override { return line_ ? this : nullptr; }
    [[nodiscard]] unsigned line_baud() const override { return port_->baud(); }
    void set_line_baud(unsigned baud) override { port_->set_baud(baud); }
    [[nodiscard]] double release_ms() const noexcept override { return release_ms_; }
    double release_ms_ = 0;

protected:
    std::unique_ptr<FdPort> port_;
    bool line_ = false;
};

// Whether `options` holds one of `names` ("--bus", "--serial"): a caller's option that replaces
// the URL's default for the same purpose.
bool has_option(const std::vector<std::string>& options, std::initializer_list<std::string_view> names);

// The simulated CMi1020 bus a process simulator's gateway sits in front of: count= and
// secondary= of its URL (sim:cme3000, sim:cme3100).
struct SimulatedBus {
    unsigned long count = 1;
    std::string secondary;  // 8-digit identification number of the first slave; empty: the default
};
SimulatedBus simulated_bus_params(Params& p);
// `--bus sim:cmi1020?count=…&secondary=…` into `options`, unless the caller's `extra` options give
// a bus of their own (--bus/--serial), in which case count=/secondary= in the URL are a DutError.
void add_bus_option(const DutUrl& u, const SimulatedBus& bus, const std::vector<std::string>& extra,
                    std::vector<std::string>& options);

// The link of a process simulator (sim:cme3000, sim:cme3100): `metercert simulate DEVICE` started
// in a private working directory (its files: statistics, database, commission report), and a TCP
// connection to the port it listens on (mbus.request). close() and the destructor stop it.
class ProcessLink : public FdLink {
public:
    ProcessLink(const DutUrl& u, const LinkOptions& o);
    ~ProcessLink() override;
    // Starts the process with `command` (whose options may name files in workdir()) and connects.
    void start(const LinkOptions& o, SimulatorCommand command, std::string_view capability, std::string_view what);
    [[nodiscard]] const std::filesystem::path& workdir() const noexcept { return workdir_; }
    SimulatorProcess* simulator() override { return process_.get(); }
    void close() override;

private:
    std::filesystem::path workdir_;
    std::unique_ptr<SimulatorProcess> process_;
};

}  // namespace metercert::rigs::links
