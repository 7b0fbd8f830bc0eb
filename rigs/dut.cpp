#include "metercert/rigs/dut.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "metercert/mbus/link.hpp"
#include "metercert/mbus/secondary_address.hpp"
#include "metercert/obis/readout.hpp"
#include "metercert/rigs/fd_port.hpp"
#include "metercert/rigs/populations.hpp"
#include "metercert/rigs/sim_port.hpp"

namespace metercert::rigs {

DutUrl DutUrl::parse(const std::string& url) {
    DutUrl u;
    const auto colon = url.find(':');
    if (colon == std::string::npos || colon == 0)
        throw DutError(fmt::format("DUT URL '{}': no scheme (expected sim:, tcp:// or serial://)", url));
    u.scheme = url.substr(0, colon);
    std::string rest = url.substr(colon + 1);
    if (u.scheme == "tcp" || u.scheme == "serial" || u.scheme == "tcp-listen") {
        if (rest.rfind("//", 0) != 0) throw DutError(fmt::format("DUT URL '{}': expected {}://", url, u.scheme));
        rest = rest.substr(2);
    } else if (u.scheme != "sim") {
        throw DutError(fmt::format("DUT URL '{}': unknown scheme '{}' (sim, tcp, tcp-listen, serial)", url, u.scheme));
    }
    const auto q = rest.find('?');
    u.target = rest.substr(0, q);
    if (q != std::string::npos) {
        std::string query = rest.substr(q + 1);
        std::size_t pos = 0;
        while (pos <= query.size()) {
            const auto amp = query.find('&', pos);
            const std::string kv = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
            if (!kv.empty()) {
                const auto eq = kv.find('=');
                if (eq == std::string::npos || eq == 0)
                    throw DutError(fmt::format("DUT URL '{}': parameter '{}' is not NAME=VALUE", url, kv));
                u.params[kv.substr(0, eq)] = kv.substr(eq + 1);
            }
            if (amp == std::string::npos) break;
            pos = amp + 1;
        }
    }
    if (u.target.empty()) throw DutError(fmt::format("DUT URL '{}': nothing after the scheme", url));
    return u;
}

namespace {

struct Params {
    const DutUrl& u;
    const std::string& url;
    std::map<std::string, bool> used;
    bool has(const std::string& k) { return used[k] = true, u.params.count(k) != 0; }
    std::string str(const std::string& k, const std::string& def) { return has(k) ? u.params.at(k) : def; }
    unsigned long num(const std::string& k, unsigned long def, unsigned long lo, unsigned long hi) {
        if (!has(k)) return def;
        const std::string& v = u.params.at(k);
        std::size_t n = 0;
        unsigned long x = 0;
        try {
            x = std::stoul(v, &n);
        } catch (...) {
            n = 0;
        }
        if (n != v.size() || v.empty() || x < lo || x > hi)
            throw DutError(fmt::format("DUT URL '{}': {}={} is not a number in {}…{}", url, k, v, lo, hi));
        return x;
    }
    void check_all_used() {
        for (const auto& [k, v] : u.params)
            if (!used.count(k)) throw DutError(fmt::format("DUT URL '{}': unknown parameter '{}'", url, k));
    }
};

std::uint32_t identification_param(const std::string& url, const std::string& s) {
    const auto id = mbus::parse_identification(s);
    if (!id) throw DutError(fmt::format("DUT URL '{}': secondary={} is not 8 decimal digits", url, s));
    return *id;
}

unsigned mbus_baud(const std::string& url, unsigned long b) {
    for (unsigned ok : {300u, 600u, 1200u, 2400u, 4800u, 9600u, 19200u, 38400u})
        if (b == ok) return ok;
    throw DutError(fmt::format("DUT URL '{}': baud={} is not an M-Bus rate (300…38400)", url, b));
}

// readout=FILE: an IEC 62056-21 readout, framed or a bare data block (obis::normalize_readout),
// checked here so that a bad file is a usage error naming the parameter, line and column.
std::string readout_param(const std::string& url, const std::string& path) {
    if (path.empty()) throw DutError(fmt::format("DUT URL '{}': readout= needs a file", url));
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        throw DutError(fmt::format("DUT URL '{}': readout={}: is a directory, not a readout file", url, path));
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw DutError(fmt::format("DUT URL '{}': readout={}: cannot be read ({})", url, path,
                                   std::filesystem::exists(path, ec) ? "permission denied" : "no such file"));
    std::string bytes(std::istreambuf_iterator<char>(in), {});
    if (in.bad()) throw DutError(fmt::format("DUT URL '{}': readout={}: read error", url, path));
    try {
        return obis::normalize_readout(bytes);
    } catch (const obis::ReadoutError& e) {
        throw DutError(fmt::format("DUT URL '{}': readout={}: {}", url, path, e.what()));
    }
}

}  // namespace

Dut open_dut(const std::string& url, const std::string& default_readout, Tap* tap,
             const std::function<void(std::uint16_t)>& on_listening) {
    const DutUrl u = DutUrl::parse(url);
    Params p{u, url, {}};
    Dut d;
    d.url = url;
    if (tap) {
        d.redaction = std::make_unique<RedactingTap>(tap);
        tap = d.redaction.get();
    }
    if (u.scheme == "sim") {
        if (u.target != "cmi1020")
            throw DutError(fmt::format("DUT URL '{}': unknown simulated device '{}' (available: cmi1020)", url, u.target));
        devices::BusOptions o;
        o.count = p.num("count", 1, 1, 250);
        if (p.has("secondary")) o.secondary = identification_param(url, u.params.at("secondary"));
        o.address = static_cast<std::uint8_t>(p.num("address", 0, 0, 250));
        const unsigned baud = mbus_baud(url, p.num("baud", 2400, 300, 38400));
        if (p.has("readout")) {
            o.readout = readout_param(url, u.params.at("readout"));
        } else {
            o.readout = default_readout;
        }
        const std::string ids = p.str("ids", "consecutive");
        if (ids.rfind("random:", 0) == 0) {
            const std::string seed = ids.substr(7);
            if (seed.empty() || seed.size() > 9 || seed.find_first_not_of("0123456789") != std::string::npos)
                throw DutError(fmt::format("DUT URL '{}': ids={} (expected consecutive or random:SEED)", url, ids));
            o.secondaries = random_ids(static_cast<std::uint32_t>(std::stoul(seed)), o.count);
        } else if (ids != "consecutive") {
            throw DutError(fmt::format("DUT URL '{}': ids={} (expected consecutive or random:SEED)", url, ids));
        }
        const double gap_bits = static_cast<double>(p.num("gap_bits", 33, 11, 100000));
        const std::string fault_name = p.str("fault", "none");
        const devices::Cmi1020FaultSpec* fault = devices::find_cmi1020_fault(fault_name);  // nullptr: the reference
        if (!fault && fault_name != "none")
            throw DutError(fmt::format("DUT URL '{}': fault={} is unknown ({})", url, fault_name,
                                       devices::fault_choices(devices::cmi1020_fault_specs())));
        p.check_all_used();
        d.bus = std::make_unique<devices::Cmi1020Bus>(o);
        d.bus->set_fault(fault);
        for (std::size_t i = 0; i < d.bus->size() && baud != 2400; ++i)  // §6.7.3 through each slave's command
            d.bus->slave(i).on_frame(mbus::build_long(0x53, d.bus->slave(i).settings().primary_address,
                                                      static_cast<std::uint8_t>(0xB8 + __builtin_ctz(baud / 300)), {}));
        auto port = std::make_unique<SimPort>(*d.bus, baud);
        port->reply_gap_bits = gap_bits;
        // the fault's reply delay hook, at the URL's rate (faults.hpp)
        port->extra_reply_delay_ms = fault && fault->hooks.reply_delay_ms ? fault->hooks.reply_delay_ms(baud) : 0.0;
        port->set_tap(tap);
        port->idle(static_cast<double>(o.first_readout_ms) + 500);  // powered long enough for a first readout
        d.port = std::move(port);
        d.description = fmt::format("{} simulated CMi1020 slave(s) at {} baud{}", d.bus->size(), baud,
                                    fault ? fmt::format(", fault {}", fault_name) : "");
        return d;
    }
    FdPortOptions fo;
    fo.latency_ms = static_cast<double>(p.num("latency", u.scheme == "tcp" ? 50 : 20, 0, 60000));
    if (u.scheme == "tcp" || u.scheme == "tcp-listen") {
        const auto colon = u.target.rfind(':');
        if (colon == std::string::npos) throw DutError(fmt::format("DUT URL '{}': no port (tcp://HOST:PORT)", url));
        unsigned long port_num = 0;
        try {
            port_num = std::stoul(u.target.substr(colon + 1));
        } catch (...) {
            port_num = 0;
        }
        const bool listen = u.scheme == "tcp-listen";
        if ((port_num == 0 && !listen) || port_num > 65535) throw DutError(fmt::format("DUT URL '{}': bad TCP port", url));
        fo.baud = mbus_baud(url, p.num("baud", 2400, 300, 38400));  // the gateway's M-Bus rate (timeouts)
        const double wait_ms = static_cast<double>(p.num("wait", 60000, 1, 86400000));
        p.check_all_used();
        const std::string host = u.target.substr(0, colon);
        const int fd = listen ? tcp_accept_one(host, static_cast<std::uint16_t>(port_num), wait_ms, on_listening)
                              : tcp_connect(host, static_cast<std::uint16_t>(port_num), 5000);
        auto port = std::make_unique<FdPort>(fd, fo);
        port->set_tap(tap);
        d.port = std::move(port);
        d.description = fmt::format("TCP {}{}", listen ? "connection accepted on " : "", u.target);
        return d;
    }
    fo.is_tty = true;
    fo.baud = mbus_baud(url, p.num("baud", 2400, 300, 38400));
    fo.echo = p.num("echo", 0, 0, 1) == 1;
    p.check_all_used();
    const int fd = open_serial(u.target, fo.baud);
    auto port = std::make_unique<FdPort>(fd, fo);
    port->set_tap(tap);
    d.port = std::move(port);
    d.description = fmt::format("serial {} at {} baud 8E1{}", u.target, fo.baud, fo.echo ? ", echo suppressed" : "");
    return d;
}

}  // namespace metercert::rigs
