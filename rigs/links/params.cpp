#include "params.hpp"

#include <cstdlib>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "metercert/mbus/secondary_address.hpp"
#include "metercert/obis/readout.hpp"

namespace metercert::rigs::links {

void fail(const DutUrl& u, const std::string& what) { throw DutError(fmt::format("DUT URL '{}': {}", u.shown(), what)); }

std::optional<double> Params::seconds(const std::string& k, double lo, double hi) {
    if (!has(k)) return std::nullopt;
    const std::string& v = u.params.at(k);
    char* end = nullptr;
    const double s = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !(s >= lo && s <= hi))
        fail(u, fmt::format("{}={} is not a number of seconds in {:g}…{:g}", k, v, lo, hi));
    return s;
}

unsigned long Params::num(const std::string& k, unsigned long def, unsigned long lo, unsigned long hi) {
    if (!has(k)) return def;
    const std::string& v = u.params.at(k);
    std::size_t n = 0;
    unsigned long x = 0;
    try {
        x = std::stoul(v, &n);
    } catch (...) {
        n = 0;
    }
    if (n != v.size() || v.empty() || x < lo || x > hi) fail(u, fmt::format("{}={} is not a number in {}…{}", k, v, lo, hi));
    return x;
}

void Params::check_all_used() {
    for (const auto& [k, v] : u.params)
        if (!used.count(k)) fail(u, fmt::format("unknown parameter '{}'", k));
}

std::uint32_t identification_param(const DutUrl& u, const std::string& s) {
    const auto id = mbus::parse_identification(s);
    if (!id) fail(u, fmt::format("secondary={} is not 8 decimal digits", s));
    return *id;
}

unsigned mbus_baud(const DutUrl& u, unsigned long b, const std::string& name) {
    for (unsigned ok : {300u, 600u, 1200u, 2400u, 4800u, 9600u, 19200u, 38400u})
        if (b == ok) return ok;
    fail(u, fmt::format("{}={} is not an M-Bus rate (300…38400)", name, b));
}

std::string readout_param(const DutUrl& u, const std::string& path) {
    if (path.empty()) fail(u, "readout= needs a file");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) fail(u, fmt::format("readout={}: is a directory, not a readout file", path));
    std::ifstream in(path, std::ios::binary);
    if (!in)
        fail(u, fmt::format("readout={}: cannot be read ({})", path,
                            std::filesystem::exists(path, ec) ? "permission denied" : "no such file"));
    std::string bytes(std::istreambuf_iterator<char>(in), {});
    if (in.bad()) fail(u, fmt::format("readout={}: read error", path));
    try {
        return obis::normalize_readout(bytes);
    } catch (const obis::ReadoutError& e) {
        fail(u, fmt::format("readout={}: {}", path, e.what()));
    }
}

HostPort host_port(const DutUrl& u, bool port_zero_ok) {
    const auto colon = u.target.rfind(':');
    if (colon == std::string::npos) fail(u, fmt::format("no port ({}://HOST:PORT)", u.scheme));
    unsigned long port_num = 0;
    try {
        port_num = std::stoul(u.target.substr(colon + 1));
    } catch (...) {
        port_num = 0;
    }
    if ((port_num == 0 && !port_zero_ok) || port_num > 65535) fail(u, "bad TCP port");
    return {u.target.substr(0, colon), static_cast<std::uint16_t>(port_num)};
}

void FdLink::attach(int fd, const FdPortOptions& o, bool line, std::string description) {
    port_ = std::make_unique<FdPort>(fd, o);
    port_->set_tap(tap());
    line_ = line;
    set_description(std::move(description));
    std::vector<std::string> caps{std::string(cap::mbus_request)};
    if (line) caps.emplace_back(cap::mbus_line);
    set_capabilities(std::move(caps));
}

bool has_option(const std::vector<std::string>& options, std::initializer_list<std::string_view> names) {
    return std::any_of(options.begin(), options.end(), [&](const std::string& o) {
        return std::find(names.begin(), names.end(), o) != names.end();
    });
}

ProcessLink::ProcessLink(const DutUrl& u, const LinkOptions& o) : FdLink(u, o.tap) {
    std::string dir = (std::filesystem::temp_directory_path() / "metercert-sim-XXXXXX").string();
    if (!mkdtemp(dir.data())) throw master::PortError("connect_failed", fmt::format("{}: no working directory: {}", u.shown(), dir));
    workdir_ = dir;
}

ProcessLink::~ProcessLink() {
    try {
        ProcessLink::close();
    } catch (...) {
    }
    std::error_code ec;
    std::filesystem::remove_all(workdir_, ec);
}

void ProcessLink::start(const LinkOptions& o, SimulatorCommand command, std::string_view capability, std::string_view what) {
    const std::string exe = o.simulator_executable.empty() ? default_simulator_executable() : o.simulator_executable;
    try {
        process_ = std::make_unique<SimulatorProcess>(exe, std::move(command));
    } catch (const SimulatorError& e) {
        throw master::PortError("connect_failed", fmt::format("{}: {}", url(), e.what()));
    }
    const std::string at = process_->url().substr(6);  // tcp://HOST:PORT
    const auto colon = at.rfind(':');
    FdPortOptions fo;
    fo.latency_ms = 50;  // as tcp://
    attach(tcp_connect(at.substr(0, colon), static_cast<std::uint16_t>(std::stoul(at.substr(colon + 1))), 5000), fo, false,
           fmt::format("{} (pid {}) at {}", what, process_->pid(), process_->url()));
    set_capabilities({std::string(cap::mbus_request), std::string(capability)});
    release_ms_ = 300;  // one client at a time, as a gateway: it must see the connection go
}

void ProcessLink::close() {
    FdLink::close();
    if (process_) process_->stop();
}

SimulatedBus simulated_bus_params(Params& p) {
    SimulatedBus b;
    b.count = p.num("count", 1, 1, 250);
    if (p.has("secondary")) (void)identification_param(p.u, b.secondary = p.u.params.at("secondary"));
    return b;
}

void add_bus_option(const DutUrl& u, const SimulatedBus& bus, const std::vector<std::string>& extra,
                    std::vector<std::string>& options) {
    if (has_option(extra, {"--bus", "--serial"})) {
        if (u.params.count("count") || u.params.count("secondary"))
            fail(u, "count= and secondary= describe the simulated bus, which the caller gives itself (--bus/--serial)");
        return;
    }
    std::string url = fmt::format("sim:cmi1020?count={}", bus.count);
    if (!bus.secondary.empty()) url += "&secondary=" + bus.secondary;
    options.insert(options.end(), {"--bus", url});
}

}  // namespace metercert::rigs::links
