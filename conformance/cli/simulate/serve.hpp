// What the simulated devices of `metercert simulate` share (one file per device in this folder,
// each registering itself with registry.hpp): usage errors, input files, the host's listeners as
// usage errors, the link rules every simulator applies to its clients, and option help texts.
// The event loop, listeners, timers, clock, capture and signals are the host's
// (rigs/include/metercert/rigs/sim_host.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "metercert/devices/fault_spec.hpp"
#include "metercert/mbus/frame_reader.hpp"
#include "metercert/rigs/sim_host.hpp"

namespace metercert::cli {

// "error: MSG" on stderr, exit 2.
[[noreturn]] void usage_error(const std::string& msg);
// Runs `f`; a DutError, PcapError, PortError or HostError it throws becomes a usage error (exit 2).
void or_usage_error(const std::function<void()>& f);

// The host's listeners, a wrong URL or one that cannot be bound a usage error naming the option
// and the URL ("--listen 'tcp://…': port '99999' is not a number in 0…65535 (0 = any free port)").
rigs::TcpListener& listen_or_usage_error(rigs::SimHost& host, const std::string& url, rigs::TcpHandlers handlers);
rigs::PtyEndpoint& pty_or_usage_error(rigs::SimHost& host, const std::string& path, rigs::PtyHandlers handlers);
// --pcap: the host's capture (behind the redaction stage); a usage error when it cannot be written.
void capture_or_usage_error(rigs::SimHost& host, const std::string& pcap_path, rigs::LinkKind kind = rigs::LinkKind::mbus);

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

// The frames of the byte stream a simulated device receives from one client or line
// (mbus::FrameReader) with the silence rule above: a frame left unfinished for `silence_ms()` is
// dropped, each dropped piece given to `dropped` (a slave's UART receiver gives up).
class FramedInput {
public:
    FramedInput(rigs::SimHost& host, std::function<double()> silence_ms,
                std::function<void(const mbus::StreamEvent&)> dropped = {});
    FramedInput(const FramedInput&) = delete;  // its timer refers to it
    FramedInput& operator=(const FramedInput&) = delete;
    // The frames and noise these bytes complete; (re)arms the silence deadline.
    std::vector<mbus::StreamEvent> feed(std::span<const std::uint8_t> bytes);
    // Drops an unfinished frame now (its client went away) and starts afresh.
    void drop_partial();
    [[nodiscard]] std::size_t buffered() const noexcept { return reader_.buffered(); }

private:
    rigs::SimHost& host_;
    std::function<double()> silence_ms_;
    std::function<void(const mbus::StreamEvent&)> dropped_;
    mbus::FrameReader reader_;
    rigs::Timer& silence_;
};

// The help of a fault option: `what`, then none and each fault of the device's list as
// "name: summary (clause)" (devices/fault_spec.hpp).
std::string fault_help(const std::string& what, std::span<const devices::FaultSpec> faults);

// Help texts several devices' options share.
inline constexpr const char* kListenHelp =
    "tcp://HOST:PORT to serve; HOST an IPv4 address, PORT 0…65535 (0: any free port, the bound\n"
    "one is in the readiness line on stdout)";
inline constexpr const char* kPcapHelp =
    "write every frame, with timestamps, to this pcap file (link type 147); P1 passwords and\n"
    "P2 keys are replaced by '*' (0x2A) before they are written";

}  // namespace metercert::cli
