// Helpers of the serving commands (`simulate`): options, usage errors, TCP listeners, signals,
// input files, and the link rules every simulator applies to its clients.
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
    // cmi1020 (TCP) and cme3000: close a client that carried no byte either way this long (s);
    // the CMe3000's Table 3 default; 0 = never
    double disconnect_timeout_s = 10;
    // cme3000
    std::string serial;
    std::string bus_url;
    unsigned keep_alive_s = 45;
    std::string stats_file;
    std::string pcap;
    // cme3100
    std::string meter_list;
    std::string keys;
    std::string db = ":memory:";
    std::string schedule = "*/15 * * * *";
    unsigned read_limit = 10;
    unsigned readout_retries = 2;    // Table 7 "Readout retries" (ERRATA E-28: further attempts)
    unsigned selection_retries = 2;  // Table 7 "Selection retries"
    std::string fault = "none";      // devices/cme3100/faults.hpp
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
// Listening socket for tcp://HOST:PORT: HOST an IPv4 address (empty: 127.0.0.1), PORT a decimal
// number 0…65535, 0 = any free port (the bound one is in `shown`). Anything else, or an address
// that cannot be bound, is a usage error naming the URL.
int open_listener(const std::string& url, std::string& shown);
bool write_all(int fd, const std::vector<std::uint8_t>& b);
// Runs `f`; a DutError, PcapError or PortError it throws becomes a usage error (exit 2).
void or_usage_error(const std::function<void()>& f);

// The whole content of the file an option names; a usage error "OPTION FILE: why" when it is
// missing, a directory, unreadable or larger than `limit` bytes.
std::string read_input_file(const std::string& path, const std::string& option, std::size_t limit = std::size_t{64} << 20);
// An IEC 62056-21 readout file (with or without the wire framing) in the canonical wire form the
// meter model answers with (obis::normalize_readout); a usage error "OPTION FILE: line L, column
// C: name: detail" when it does not parse.
std::string load_readout(const std::string& path, const std::string& option);

// How long a simulator keeps the beginning of a frame when no further byte comes (then the
// bytes are dropped as a garbled frame, as a slave's UART receiver does). EN 13757-2 takes the
// FT 1.2 rules of IEC 60870-5-1: no line idle between the characters of a frame, at least 33
// bit times of line idle between frames. On a line (pty) the limit is those 33 bit times at the
// slave's baud rate, at least 20 ms (a writing process may be descheduled between its writes).
// Over TCP the bytes of one frame may come in several segments (Nagle + delayed ACK: 40 ms on
// Linux, 200 ms elsewhere; one retransmission after the 200 ms minimum RTO), so the limit is
// 500 ms there. Decision: vectors/ERRATA.md E-41.
double partial_frame_silence_ms(unsigned baud, bool tcp) noexcept;

// `simulate cme3000` and `simulate cme3100`
int run_cme3000(const SimOptions& o);
int run_cme3100(const SimOptions& o);

}  // namespace metercert::cli
