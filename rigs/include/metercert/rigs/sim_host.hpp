// The simulator host (metercert DESIGN "Transports, simulators, rigs"; issue 12 §2): one event loop
// that owns what a simulated device needs from the outside world — its listeners (TCP with one
// client at a time, UDP, a pseudo-terminal; later DTLS), its timers, the clock, its capture (the
// pcap writer behind the redaction stage) and SIGINT/SIGTERM — so that a simulated device
// (conformance/cli/simulate/*.cpp) is its reference model and its handlers, nothing else.
//
//   rigs::SimHost host;
//   host.open_capture("sim.pcap");                       // optional
//   auto& tcp = host.listen_tcp("tcp://127.0.0.1:0", {.on_bytes = [&](auto b) { … tcp.send(reply); }});
//   auto& tick = host.every(500, [&] { model.advance_to(host.time()); });
//   host.stop_on_signals();
//   host.announce_ready("cmi1020", {{"model", "CMi1020"}});   // the readiness line on stdout
//   return host.run();                                    // until SIGINT/SIGTERM or stop()
//
// The readiness line: exactly one JSON object on one line, the simulator's first line on stdout,
// printed once it accepts clients (schema "metercert_ready_v1"):
//   {"event":"ready","schema":"metercert_ready_v1","device":"cmi1020",
//    "listen":[{"kind":"tcp","url":"tcp://127.0.0.1:40123"}],       // or {"kind":"udp","url":"udp://…"},
//                                                                   //    {"kind":"pty","path":P,"pts":"/dev/pts/N"}
//    "identity":{…}}                                                // the device's own: what it is, what it fronts
// It never holds a key, a password or a file's content. Readers: SimulatorProcess (ready_address),
// the Python Simulator and the tests (parse_ready_line's rules: the first stdout line, JSON, event
// "ready"). Human progress lines stay on stderr.
//
// Errors are named (HostError::name): bad_url, bad_port, bad_address, socket_failed, bind_failed,
// pty_failed. Every wait uses CLOCK_MONOTONIC; nothing here interprets what the bytes mean.
#pragma once

#include "metercert/rigs/clock.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "metercert/rigs/tap.hpp"

namespace metercert::rigs {

class PcapWriter;

// ---------------------------------------------------------------------------------- the clock
// A simulator's time: the one clock (metercert/time.hpp) of its devices, a rigs::PowerOnClock
// started with the host — TimePoint{} is the devices' power-on. The models take time() (µs
// TimePoint); the host's own timers and the partial-frame silence count whole milliseconds of the
// same clock (SimTime = floor of time() in ms); calendar devices map it to UTC with utc().
using SimTime = std::uint64_t;

class HostClock {
public:
    [[nodiscard]] SimTime now() const noexcept {
        return static_cast<SimTime>(std::chrono::floor<std::chrono::milliseconds>(clock_.now().time_since_epoch()).count());
    }
    [[nodiscard]] TimePoint time() const noexcept { return clock_.now(); }
    [[nodiscard]] const UtcMapping& utc() const noexcept { return clock_.utc(); }
    // UTC in whole seconds of time() (the CMe3100's cron schedule and its stored readouts).
    [[nodiscard]] std::chrono::sys_seconds utc_seconds() const noexcept { return clock_.utc_seconds(); }

private:
    PowerOnClock clock_;
};

class HostError : public std::runtime_error {
public:
    HostError(std::string name, const std::string& detail) : std::runtime_error(detail), name_(std::move(name)) {}
    [[nodiscard]] const std::string& name() const noexcept { return name_; }

private:
    std::string name_;
};

// ------------------------------------------------------------------------------------ timers
// A deadline callback of the host. Disarmed when made; arm_at/arm_in (re)arm it, fire() runs once
// per arming, in the loop, after the I/O of that wake-up.
class Timer {
public:
    explicit Timer(const HostClock& clock, std::function<void()> fire) : clock_(&clock), fire_(std::move(fire)) {}
    void arm_at(SimTime at) noexcept { deadline_ = at; }
    void arm_in(std::uint64_t ms) noexcept { deadline_ = clock_->now() + ms; }
    void disarm() noexcept { deadline_.reset(); }
    [[nodiscard]] std::optional<SimTime> deadline() const noexcept { return deadline_; }

private:
    friend class SimHost;
    const HostClock* clock_;
    std::function<void()> fire_;
    std::optional<SimTime> deadline_;
};

// ---------------------------------------------------------------------------------- listeners
// tcp://HOST:PORT, udp://HOST:PORT: HOST an IPv4 address (empty: 127.0.0.1), PORT a decimal number
// 0…65535 (0: any free port; the bound one is in url()).

// The handlers of a TCP listener that serves one client at a time (a CMe3000 in front of one bus,
// a CMe3100's Virtual M-Bus port): a connection that arrives while a client is connected is closed
// at once.
struct TcpHandlers {
    // Every arriving connection, before it is kept; `busy`: a client is connected. Returning false
    // refuses it (closed at once); while busy it is refused whatever this returns. Default: !busy.
    std::function<bool(bool busy)> admit;
    std::function<void(int fd)> on_open;  // kept (TCP_NODELAY set); `fd` for socket options
    std::function<void(std::span<const std::uint8_t>)> on_bytes;
    // The client is gone (it closed, a write failed, or close_client()); once per client, its
    // descriptor already closed.
    std::function<void()> on_close;
};

class TcpListener {
public:
    [[nodiscard]] const std::string& url() const noexcept { return url_; }  // tcp://127.0.0.1:40123
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    [[nodiscard]] bool connected() const noexcept { return client_ >= 0; }
    // Writes all of `bytes` to the client; false (and the client closed) when that fails or
    // there is none.
    bool send(std::span<const std::uint8_t> bytes);
    void close_client();
    TcpListener(int fd, std::string url, std::uint16_t port, TcpHandlers h)
        : fd_(fd), url_(std::move(url)), port_(port), h_(std::move(h)) {}
    ~TcpListener();
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;

private:
    friend class SimHost;
    void accept_one();
    void read_client();
    int fd_;
    int client_ = -1;
    std::string url_;
    std::uint16_t port_;
    TcpHandlers h_;
};

// One UDP peer (IPv4).
struct UdpPeer {
    std::string host;
    std::uint16_t port = 0;
    bool operator==(const UdpPeer&) const = default;
};

struct UdpHandlers {
    std::function<void(std::span<const std::uint8_t>, const UdpPeer& from)> on_datagram;
};

class UdpEndpoint {
public:
    [[nodiscard]] const std::string& url() const noexcept { return url_; }  // udp://127.0.0.1:40123
    [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
    bool send_to(const UdpPeer& to, std::span<const std::uint8_t> datagram);
    UdpEndpoint(int fd, std::string url, std::uint16_t port, UdpHandlers h)
        : fd_(fd), url_(std::move(url)), port_(port), h_(std::move(h)) {}
    ~UdpEndpoint();
    UdpEndpoint(const UdpEndpoint&) = delete;
    UdpEndpoint& operator=(const UdpEndpoint&) = delete;

private:
    friend class SimHost;
    void read_one();
    int fd_;
    std::string url_;
    std::uint16_t port_;
    UdpHandlers h_;
};

// A pseudo-terminal whose slave side is linked at a path: a serial line a master opens like a
// UART (Debian's libserialport refuses ptys; masters use plain termios there, rigs/fd_port.cpp).
// The host keeps its own descriptor on the slave side all its life, as a wire stays connected to
// the bus: without it the master side reads EIO whenever no client has the line open, and the
// line's settings would start over with each client. Raw 8N1 (a pty has no parity). Clients open
// and close it as often as they like; nothing happens to the pty when one goes away. The link is
// removed when the host ends.
struct PtyHandlers {
    std::function<void(std::span<const std::uint8_t>)> on_bytes;
};

class PtyEndpoint {
public:
    [[nodiscard]] const std::string& path() const noexcept { return path_; }  // the link
    [[nodiscard]] const std::string& pts() const noexcept { return pts_; }    // /dev/pts/N
    bool send(std::span<const std::uint8_t> bytes);
    PtyEndpoint(int master, int keepalive, std::string path, std::string pts, PtyHandlers h)
        : master_(master), keepalive_(keepalive), path_(std::move(path)), pts_(std::move(pts)), h_(std::move(h)) {}
    ~PtyEndpoint();
    PtyEndpoint(const PtyEndpoint&) = delete;
    PtyEndpoint& operator=(const PtyEndpoint&) = delete;

private:
    friend class SimHost;
    void read_some();
    int master_;
    int keepalive_;
    std::string path_;
    std::string pts_;
    PtyHandlers h_;
};

// ------------------------------------------------------------------------------------- the host
class SimHost {
public:
    SimHost();
    ~SimHost();
    SimHost(const SimHost&) = delete;
    SimHost& operator=(const SimHost&) = delete;

    [[nodiscard]] const HostClock& clock() const noexcept { return clock_; }
    [[nodiscard]] SimTime now() const noexcept { return clock_.now(); }
    [[nodiscard]] TimePoint time() const noexcept { return clock_.time(); }  // the models' time

    // Listeners (HostError when the URL is wrong or it cannot be bound/made). Each lives as long
    // as the host; the readiness line lists them in the order they were made.
    TcpListener& listen_tcp(const std::string& url, TcpHandlers handlers);
    UdpEndpoint& listen_udp(const std::string& url, UdpHandlers handlers);
    PtyEndpoint& open_pty(const std::string& path, PtyHandlers handlers);
    // A descriptor the device opened itself (a serial line): `readable` runs when it has input,
    // until unwatch(fd). The device keeps and closes it.
    void watch(int fd, std::function<void()> readable);
    void unwatch(int fd);

    // Timers: `timer` is disarmed; `every` fires every `period_ms` from now on.
    Timer& timer(std::function<void()> fire);
    Timer& every(std::uint64_t period_ms, std::function<void()> fire);
    // Runs after each wake-up of the loop (its I/O and timers), e.g. to save state that changed.
    void after_each_wake(std::function<void()> f);

    // The capture: the pcap writer (PcapError when it cannot be opened), behind the redaction
    // stage of each link kind (DESIGN "Secrets"). tap() records what the simulated device received
    // (to_dut) or sent (from_dut) on a channel, stamped with the wall clock, through that stage;
    // nothing happens without a capture or for no bytes. capture_writer() is the writer itself,
    // for a link that puts its own redaction stage in front of the tap it is given (a DutLink);
    // nullptr without a capture.
    void open_capture(const std::string& pcap_path, LinkKind kind = LinkKind::mbus);  // one link kind per file
    [[nodiscard]] bool capturing() const noexcept { return pcap_ != nullptr; }
    void tap(Direction d, std::uint8_t channel, std::span<const std::uint8_t> bytes, std::uint8_t flags = 0,
             std::uint32_t baud = 0, LinkKind kind = LinkKind::mbus);
    [[nodiscard]] Tap* capture_writer() noexcept;

    // SIGINT and SIGTERM stop run() cleanly (the device then saves its state and says goodbye);
    // SIGPIPE is ignored (a client that went away is a failed write, not a death).
    void stop_on_signals();
    void stop() noexcept { stop_ = true; }
    [[nodiscard]] bool stopping() const noexcept { return stop_; }

    // The readiness line (schema above) for this host's listeners; announce_ready prints it on
    // stdout, as the first line there, and flushes.
    [[nodiscard]] std::string ready_line(std::string_view device, const nlohmann::json& identity) const;
    void announce_ready(std::string_view device, const nlohmann::json& identity) const;

    // The loop: waits for I/O and timers until stop() or a stop signal; returns 0.
    int run();
    // One wake-up of the loop, waiting at most `max_wait_ms` (tests); false once stopping.
    bool run_once(std::uint64_t max_wait_ms);

private:
    struct Watch {
        int fd;
        std::function<void()> readable;
    };
    HostClock clock_;
    std::deque<TcpListener> tcp_;
    std::deque<UdpEndpoint> udp_;
    std::deque<PtyEndpoint> pty_;
    std::deque<Timer> timers_;
    std::vector<nlohmann::json> listen_;  // the readiness line's entries, in order
    std::vector<Watch> watches_;
    std::vector<std::function<void()>> after_wake_;
    std::unique_ptr<PcapWriter> pcap_;
    std::unique_ptr<RedactingTap> redact_;
    int wake_[2] = {-1, -1};  // self-pipe: a stop signal wakes the loop at once
    bool stop_ = false;
};

// ------------------------------------------------------------------------ the readiness line
struct ReadyListen {
    std::string kind;  // tcp, udp, pty
    std::string url;   // tcp/udp
    std::string path;  // pty
};

struct ReadyLine {
    std::string device;
    std::vector<ReadyListen> listen;
    nlohmann::json identity;
};

// The readiness line in `line` (a JSON object with "event":"ready"), or nullopt when it is not one.
std::optional<ReadyLine> parse_ready_line(std::string_view line);

}  // namespace metercert::rigs
