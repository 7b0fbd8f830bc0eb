// Helpers of the serving commands (`simulate`): options, usage errors, TCP listeners, signals.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace metercert::cli {

struct SimOptions {
    std::string device = "cmi1020";
    std::string listen;
    std::string pty;
    std::size_t count = 1;
    std::string secondary;
    unsigned address = 0;
    std::string readout_file;
    std::string state_dir;
    unsigned baud = 2400;
    bool wire_timing = false;
    std::string meter_fault = "none";
    std::string fabrication = "70000001";
    std::uint64_t first_readout_ms = 2000;
    // cme3000
    std::string serial;
    std::string bus_url;
    unsigned keep_alive_s = 45;
    unsigned disconnect_timeout_s = 10;
    std::string stats_file;
    std::string pcap;
    // cme3100
    std::string meter_list;
    std::string keys;
    std::string db = ":memory:";
    std::string schedule = "*/15 * * * *";
    unsigned read_limit = 10;
    std::size_t licence = 500;
    unsigned expiration_s = 86400;
    bool search = false;
    std::string commission_report;
};

// Set by SIGINT/SIGTERM once install_stop_signals() ran; SIGPIPE is ignored.
extern std::atomic<bool> g_stop;
void install_stop_signals();
// "error: MSG" on stderr, exit 2.
[[noreturn]] void usage_error(const std::string& msg);
// Listening socket for tcp://HOST:PORT (port 0: any free one); `shown` gets the bound address.
int open_listener(const std::string& url, std::string& shown);
bool write_all(int fd, const std::vector<std::uint8_t>& b);
// Runs `f`; a DutError, PcapError or PortError it throws becomes a usage error (exit 2).
void or_usage_error(const std::function<void()>& f);

// `simulate cme3000` and `simulate cme3100`
int run_cme3000(const SimOptions& o);
int run_cme3100(const SimOptions& o);

}  // namespace metercert::cli
