// A BusPort over a byte stream file descriptor: a TCP connection to a transparent gateway
// (CMe3000, port 10001) or a serial line (USB level converter, UART, pty).
//
// Every byte is timestamped on arrival (epoll + CLOCK_MONOTONIC, clock.hpp); the reply gap is measured from
// the moment the request was handed to the line (after tcdrain on a tty) to the first reply byte.
// The reply window ends when the bytes form a complete frame, or the line stays idle for
// `inter_byte_ms`. Serial lines opened with PARMRK mark parity/framing errors as FF 00 x; the port
// strips the markers and reports parity_error. With `echo` set (level converters that echo the
// master's bytes), the request's own bytes are read back first and checked.
#pragma once

#include <functional>
#include <string>

#include "metercert/master/port.hpp"
#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/tap.hpp"

namespace metercert::rigs {

// Decodes the PARMRK escapes a tty with INPCK|PARMRK produces (termios(3)): FF FF is a data byte
// FF; FF 00 x is byte x received with a parity or framing error, FF 00 00 a break. State carries
// across reads.
struct ParmrkDecoder {
    int state = 0;
    std::uint64_t parity_errors = 0;  // bytes flagged (parity or framing: termios does not tell which)
    std::uint64_t breaks = 0;
    // Appends the data bytes of `in` to `out`; returns whether a flagged byte was seen.
    bool feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out);
};

struct FdPortOptions {
    bool is_tty = false;        // tcdrain after writes, PARMRK parsing, baud changes via termios
    bool echo = false;          // the interface echoes the master's bytes
    double inter_byte_ms = 0;   // 0: max(5 character times, 20 ms), + latency_ms
    double latency_ms = 0;      // extra allowance for the transport (TCP gateway, USB adapter)
    unsigned baud = 2400;
};

class FdPort : public master::BusPort {
public:
    FdPort(int fd, FdPortOptions options);  // takes ownership of fd
    ~FdPort() override;
    FdPort(const FdPort&) = delete;
    FdPort& operator=(const FdPort&) = delete;

    master::Exchange transact(std::span<const std::uint8_t> request, Duration timeout) override;
    void send(std::span<const std::uint8_t> request, Duration settle) override;
    void idle(Duration d) override;  // sleeps
    void set_baud(unsigned baud) override;
    [[nodiscard]] unsigned baud() const override { return options_.baud; }
    [[nodiscard]] TimePoint now() const override { return monotonic_now(); }

    void close() override;
    // Sends a break of `d` (tty only; ignored on TCP).
    void send_break(Duration d);
    void set_tap(Tap* tap, std::uint8_t channel = 0) { tap_ = tap, channel_ = channel; }
    [[nodiscard]] int fd() const noexcept { return fd_; }
    [[nodiscard]] std::uint64_t parity_errors() const noexcept { return parmrk_.parity_errors; }

private:
    void write_all(std::span<const std::uint8_t> bytes);
    // Reads what is available within `wait`; false on timeout. Throws PortError on EOF/EIO.
    bool read_some(Duration wait, std::vector<std::uint8_t>& out, TimePoint& first_at, bool& parity,
                   std::vector<master::Exchange::Arrival>* arrivals = nullptr, TimePoint t0 = {});
    void discard_input();
    int fd_;
    int epoll_;
    FdPortOptions options_;
    Tap* tap_ = nullptr;
    std::uint8_t channel_ = 0;
    ParmrkDecoder parmrk_;
};

// TCP client connection (TCP_NODELAY), with a connect timeout. Throws PortError(connect_failed).
int tcp_connect(const std::string& host, std::uint16_t port, double timeout_ms);
// TCP server side: listens on host:port and waits up to `timeout_ms` for one device to connect
// (a gateway in connect mode, CMe3000 Figure 6 "Completed Connects"); returns the connection.
// `on_listening` gets the bound port (port 0 picks a free one) before the wait. Throws
// PortError(connect_failed) when nothing connects in time or the address cannot be bound.
int tcp_accept_one(const std::string& host, std::uint16_t port, double timeout_ms,
                   const std::function<void(std::uint16_t)>& on_listening = {});

// A serial line, 8E1 (M-Bus, EN 13757-2), raw, with INPCK|PARMRK so parity errors are seen.
// Real ports are opened through libserialport; pseudo-terminals and socat links (which Debian's
// libserialport 0.1.1 refuses) through plain termios, 8N1: a Linux pty has no parity
// (its driver clears PARENB, and asking for it made every open after the first fail with
// "tcsetattr: Invalid argument"). The settings are read back and checked; a port may be opened,
// configured and closed any number of times. Throws PortError(connect_failed).
int open_serial(const std::string& path, unsigned baud);
// The same line 8N1 (the receiver sticks: iM871A 57600, AMB8465 9600 baud); also 57600 and 115200.
// Throws PortError(connect_failed), std::invalid_argument for a rate termios does not name here.
int open_serial_8n1(const std::string& path, unsigned baud);
// Sets the line rate of an open tty (termios). Throws std::invalid_argument for an unknown rate.
void set_tty_baud(int fd, unsigned baud);

}  // namespace metercert::rigs
