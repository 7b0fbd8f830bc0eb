#include "metercert/rigs/fd_port.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <libserialport.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "metercert/mbus/frame_reader.hpp"
#include "metercert/rigs/sim_port.hpp"

namespace metercert::rigs {

using master::PortError;

bool ParmrkDecoder::feed(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out) {
    bool flagged = false;
    for (const std::uint8_t c : in) {
        if (state == 2) {  // FF 00 x
            state = 0;
            if (c == 0x00) {
                ++breaks;
            } else {
                ++parity_errors;
                out.push_back(c);
            }
            flagged = true;
        } else if (state == 1) {
            if (c == 0xFF) out.push_back(0xFF), state = 0;
            else if (c == 0x00) state = 2;
            else out.push_back(0xFF), out.push_back(c), state = 0;
        } else if (c == 0xFF) {
            state = 1;
        } else {
            out.push_back(c);
        }
    }
    return flagged;
}

FdPort::FdPort(int fd, FdPortOptions options) : fd_(fd), epoll_(epoll_create1(EPOLL_CLOEXEC)), options_(options) {
    const int flags = fcntl(fd_, F_GETFL);
    fcntl(fd_, F_SETFL, flags | O_NONBLOCK);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd_;
    if (epoll_ < 0 || epoll_ctl(epoll_, EPOLL_CTL_ADD, fd_, &ev) != 0)
        throw PortError("io_error", fmt::format("epoll: {}", std::strerror(errno)));
}

FdPort::~FdPort() {
    if (epoll_ >= 0) ::close(epoll_);
    if (fd_ >= 0) ::close(fd_);
}

void FdPort::close() {
    if (fd_ >= 0) {
        epoll_ctl(epoll_, EPOLL_CTL_DEL, fd_, nullptr);
        ::close(fd_);
        fd_ = -1;
    }
}

void FdPort::write_all(std::span<const std::uint8_t> b) {
    std::size_t off = 0;
    while (off < b.size()) {
        // sockets: MSG_NOSIGNAL, so a closed peer is an error to name, not a SIGPIPE
        const ssize_t n = options_.is_tty ? ::write(fd_, b.data() + off, b.size() - off)
                                          : ::send(fd_, b.data() + off, b.size() - off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EINTR)) continue;
        if (n < 0 && errno == EAGAIN) {
            pollfd p{fd_, POLLOUT, 0};
            ::poll(&p, 1, 1000);
            continue;
        }
        if (n < 0) {
            const int e = errno;
            if (e == EPIPE || e == ECONNRESET) throw PortError("connection_closed", "the peer closed the connection");
            throw PortError("port_lost", fmt::format("write: {}", std::strerror(e)));
        }
        off += static_cast<std::size_t>(n);
    }
    if (options_.is_tty) tcdrain(fd_);
}

bool FdPort::read_some(Duration wait, std::vector<std::uint8_t>& out, TimePoint& first_at, bool& parity,
                       std::vector<master::Exchange::Arrival>* arrivals, TimePoint t0) {
    epoll_event ev{};
    const TimePoint deadline = monotonic_now() + wait;
    for (;;) {
        const Duration left = deadline - monotonic_now();
        if (left <= Duration{}) return false;
        const int n = epoll_wait(epoll_, &ev, 1, static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw PortError("io_error", fmt::format("epoll_wait: {}", std::strerror(errno)));
        if (n == 0) continue;
        const TimePoint at = monotonic_now();
        std::uint8_t buf[512];
        const ssize_t r = ::read(fd_, buf, sizeof buf);
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (ev.events & (EPOLLHUP | EPOLLERR))
                throw PortError(options_.is_tty ? "port_lost" : "connection_closed", "the line hung up");
            continue;
        }
        if (r < 0) {
            const int e = errno;
            if (e == ECONNRESET) throw PortError("connection_closed", "the peer reset the connection");
            throw PortError("port_lost", fmt::format("read: {}", std::strerror(e)));
        }
        if (r == 0) throw PortError(options_.is_tty ? "port_lost" : "connection_closed",
                                    options_.is_tty ? "the serial line hung up" : "the gateway closed the connection");
        const std::size_t before = out.size();
        if (options_.is_tty) {
            if (parmrk_.feed({buf, static_cast<std::size_t>(r)}, out)) parity = true;
        } else {
            out.insert(out.end(), buf, buf + r);
        }
        if (out.size() > before) {
            if (before == 0) first_at = at;
            if (arrivals) arrivals->push_back({before, at - t0});
            return true;
        }
    }
}

void FdPort::discard_input() {
    if (options_.is_tty) tcflush(fd_, TCIFLUSH);
    std::uint8_t buf[256];
    while (::read(fd_, buf, sizeof buf) > 0) {
    }
    parmrk_.state = 0;
}

master::Exchange FdPort::transact(std::span<const std::uint8_t> request, Duration timeout) {
    if (fd_ < 0) throw PortError("connection_closed", "the port was closed");
    discard_input();  // stale bytes of an earlier window never count as this reply
    const std::int64_t wall = wall_clock_us();
    write_all(request);
    TimePoint sent_at = monotonic_now();
    if (tap_) tap_->record({LinkKind::mbus, Direction::to_dut, channel_, 0, options_.is_tty ? options_.baud : 0, wall,
                            {request.begin(), request.end()}});
    const double char_ms = master::char_time_ms(1, options_.baud);
    const Duration idle_limit = from_ms((options_.inter_byte_ms > 0 ? options_.inter_byte_ms : std::max(5 * char_ms, 20.0)) +
                                  options_.latency_ms);
    std::vector<std::uint8_t> bytes;
    TimePoint first_at{};
    bool parity = false;
    if (options_.echo) {  // read back our own bytes
        std::vector<std::uint8_t> echo;
        TimePoint first{};
        while (echo.size() < request.size())
            if (!read_some(master::char_time(request.size(), options_.baud) + idle_limit, echo, first, parity)) break;
        if (echo.size() < request.size() || !std::equal(request.begin(), request.end(), echo.begin()))
            throw PortError("io_error", fmt::format("echo: expected the {} bytes sent back, got {}", request.size(), echo.size()));
        sent_at = monotonic_now();
        if (echo.size() > request.size()) {  // the reply began in the same read
            bytes.assign(echo.begin() + static_cast<long>(request.size()), echo.end());
            first_at = sent_at;
        }
    }
    master::Exchange ex;
    std::vector<master::Exchange::Arrival> arrivals;
    if (!bytes.empty()) arrivals.push_back({0, Duration{}});
    if (bytes.empty() && !read_some(timeout + from_ms(options_.latency_ms), bytes, first_at, parity, &arrivals, sent_at)) {
        ex.outcome = master::Exchange::Outcome::timeout;
        return ex;
    }
    const std::int64_t reply_wall = wall_clock_us() - (monotonic_now() - first_at).count();
    mbus::LinkFrame f;
    mbus::DecodeError err;
    for (;;) {  // until one complete frame (a frame's own length ends the window) or idle
        if (mbus::parse_link_prefix(bytes, f, err) && f.size == bytes.size()) break;
        if (!read_some(idle_limit, bytes, first_at, parity, &arrivals, sent_at)) break;
    }
    ex = classify_reply(std::move(bytes));
    ex.arrivals = std::move(arrivals);
    ex.reply_gap = first_at - sent_at;
    ex.parity_error = parity;
    if (tap_) {
        std::uint8_t flags = parity ? kTapParityError : 0;
        if (ex.outcome == master::Exchange::Outcome::garbled) flags |= kTapGarbled;
        tap_->record({LinkKind::mbus, Direction::from_dut, channel_, flags, options_.is_tty ? options_.baud : 0, reply_wall, ex.bytes});
    }
    return ex;
}

void FdPort::send(std::span<const std::uint8_t> request, Duration settle) {
    if (fd_ < 0) throw PortError("connection_closed", "the port was closed");
    if (tap_) tap_->record({LinkKind::mbus, Direction::to_dut, channel_, 0, options_.is_tty ? options_.baud : 0, wall_clock_us(),
                            {request.begin(), request.end()}});
    write_all(request);
    idle(settle);
    discard_input();
}

void FdPort::idle(Duration d) {
    if (d > Duration{}) std::this_thread::sleep_for(d);
}

void FdPort::set_baud(unsigned baud) {
    if (options_.is_tty) set_tty_baud(fd_, baud);
    options_.baud = baud;
}

void FdPort::send_break(Duration d) {
    if (!options_.is_tty) return;
    ioctl(fd_, TIOCSBRK);
    idle(d);
    ioctl(fd_, TIOCCBRK);
}

// ---------------------------------------------------------------------------- opening lines

int tcp_connect(const std::string& host, std::uint16_t port, double timeout_ms) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int gai = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (gai != 0) throw PortError("connect_failed", fmt::format("tcp://{}:{}: {}", host, port, gai_strerror(gai)));
    std::string last = "no address";
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        const int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0) continue;
        int rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            rc = poll(&p, 1, static_cast<int>(timeout_ms));
            int err = 0;
            socklen_t len = sizeof err;
            if (rc == 1) getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
            else err = ETIMEDOUT;
            rc = err == 0 ? 0 : -1;
            errno = err;
        }
        if (rc == 0) {
            const int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            freeaddrinfo(res);
            return fd;
        }
        last = std::strerror(errno);
        ::close(fd);
    }
    freeaddrinfo(res);
    throw PortError("connect_failed", fmt::format("tcp://{}:{}: {}", host, port, last));
}

int tcp_accept_one(const std::string& host, std::uint16_t port, double timeout_ms,
                   const std::function<void(std::uint16_t)>& on_listening) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* res = nullptr;
    const int gai = getaddrinfo(host.empty() ? nullptr : host.c_str(), std::to_string(port).c_str(), &hints, &res);
    if (gai != 0) throw PortError("connect_failed", fmt::format("tcp-listen://{}:{}: {}", host, port, gai_strerror(gai)));
    const int lfd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    const int one = 1;
    if (lfd >= 0) setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (lfd < 0 || bind(lfd, res->ai_addr, res->ai_addrlen) != 0 || listen(lfd, 1) != 0) {
        const std::string why = std::strerror(errno);
        freeaddrinfo(res);
        if (lfd >= 0) ::close(lfd);
        throw PortError("connect_failed", fmt::format("tcp-listen://{}:{}: {}", host, port, why));
    }
    freeaddrinfo(res);
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len);
    const std::uint16_t bound = ntohs(sa.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port
                                                              : reinterpret_cast<sockaddr_in*>(&sa)->sin_port);
    if (on_listening) on_listening(bound);
    pollfd p{lfd, POLLIN, 0};
    const int rc = poll(&p, 1, static_cast<int>(timeout_ms));
    const int fd = rc == 1 ? accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC) : -1;
    ::close(lfd);
    if (fd < 0)
        throw PortError("connect_failed", fmt::format("tcp-listen://{}:{}: no device connected within {} ms", host, bound, timeout_ms));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

namespace {
speed_t speed_of(unsigned baud) {
    switch (baud) {
        case 300: return B300;
        case 600: return B600;
        case 1200: return B1200;
        case 2400: return B2400;
        case 4800: return B4800;
        case 9600: return B9600;
        case 19200: return B19200;
        case 38400: return B38400;
        default: throw std::invalid_argument(fmt::format("baud rate {} is not an M-Bus rate (300…38400)", baud));
    }
}

// Unix98 pseudo-terminal slaves (/dev/pts/N, socat links to them): majors 136–143 (Linux
// Documentation/admin-guide/devices.txt, UNIX98_PTY_SLAVE_MAJOR .. + UNIX98_PTY_MAJOR_COUNT).
bool is_pty_slave(int fd) {
    struct stat st{};
    if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) return false;
    const unsigned maj = major(st.st_rdev);
    return maj >= 136 && maj <= 143;
}

// Any rate the receiver sticks use as well (57600: iM871A).
speed_t any_speed_of(unsigned baud) {
    switch (baud) {
        case 57600: return B57600;
        case 115200: return B115200;
        default: return speed_of(baud);
    }
}

// 8E1 (8N1 when !even_parity: the receiver sticks) raw at `baud`, INPCK|PARMRK. A pty has no
// parity: Linux's pty driver clears PARENB (and forces CS8) in every tcsetattr, and glibc's tcsetattr reports EINVAL when, read back, none of
// the requested changes took effect (POSIX: success when any was performed). The first open of a
// simulator's pty succeeded only because it also changed the speed; every later open (the
// termios of a pty live as long as it is open, and the simulator keeps it open) asked for
// nothing but PARENB and failed with "tcsetattr: Invalid argument". So on a pty PARENB is not
// requested, and on every line the result is read back and checked instead of trusting the
// return value alone.
void configure_line(int fd, unsigned baud, bool even_parity, speed_t speed) {
    termios t{};
    if (tcgetattr(fd, &t) != 0) throw PortError("connect_failed", fmt::format("tcgetattr: {}", std::strerror(errno)));
    const bool pty = is_pty_slave(fd);
    cfmakeraw(&t);
    t.c_cflag &= ~static_cast<tcflag_t>(CSIZE | CSTOPB | PARODD | CRTSCTS);
    t.c_cflag |= CS8 | CLOCAL | CREAD;
    if (!pty && even_parity) t.c_cflag |= PARENB;  // even parity (EN 13757-2); ptys carry bytes only: no parity (ERRATA E-43)
    t.c_iflag &= ~static_cast<tcflag_t>(IGNPAR | IXON | IXOFF | IXANY | ISTRIP);
    if (even_parity)
        t.c_iflag |= INPCK | PARMRK;  // Debian's libserialport 0.1.1 never reports parity errors: mark them ourselves
    else
        t.c_iflag &= ~static_cast<tcflag_t>(INPCK | PARMRK);  // 8N1: no parity to mark, and a data byte FF stays one byte
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, speed);
    cfsetospeed(&t, speed);
    const int rc = tcsetattr(fd, TCSANOW, &t);
    const int set_errno = errno;
    termios got{};
    if (tcgetattr(fd, &got) != 0) throw PortError("connect_failed", fmt::format("tcgetattr: {}", std::strerror(errno)));
    const tcflag_t cmask = CSIZE | CSTOPB | PARENB | PARODD | CRTSCTS | CREAD;
    const bool applied = (got.c_cflag & cmask) == (t.c_cflag & cmask) && cfgetospeed(&got) == speed &&
                         (got.c_iflag & (INPCK | PARMRK | IXON | IXOFF)) == (t.c_iflag & (INPCK | PARMRK | IXON | IXOFF)) &&
                         (got.c_lflag & (ICANON | ECHO | ISIG)) == 0;
    if (!applied) {
        if (rc != 0) throw PortError("connect_failed", fmt::format("tcsetattr: {}", std::strerror(set_errno)));
        throw PortError("connect_failed",
                        fmt::format("the line did not take 8{}1 raw at {} baud{}", pty || !even_parity ? 'N' : 'E', baud,
                                    (got.c_cflag & PARENB) || pty || !even_parity ? "" : " (no even parity on this port)"));
    }
}

}  // namespace

void set_tty_baud(int fd, unsigned baud) {
    termios t{};
    tcgetattr(fd, &t);
    cfsetispeed(&t, speed_of(baud));
    cfsetospeed(&t, speed_of(baud));
    tcsetattr(fd, TCSADRAIN, &t);
}

namespace {
int open_line(const std::string& path, unsigned baud, bool even_parity) {
    const speed_t speed = even_parity ? speed_of(baud) : any_speed_of(baud);
    sp_port* port = nullptr;
    if (sp_get_port_by_name(path.c_str(), &port) == SP_OK) {
        // A real UART / USB adapter: libserialport opens and sets it up; we keep its fd.
        if (sp_open(port, SP_MODE_READ_WRITE) != SP_OK) {
            char* msg = sp_last_error_message();
            const std::string why = msg ? msg : "unknown error";
            sp_free_error_message(msg);
            sp_free_port(port);
            throw PortError("connect_failed", fmt::format("serial {}: {}", path, why));
        }
        sp_set_baudrate(port, static_cast<int>(baud));
        sp_set_bits(port, 8);
        sp_set_parity(port, even_parity ? SP_PARITY_EVEN : SP_PARITY_NONE);
        sp_set_stopbits(port, 1);
        sp_set_flowcontrol(port, SP_FLOWCONTROL_NONE);
        int handle = -1;
        sp_get_port_handle(port, &handle);
        const int fd = fcntl(handle, F_DUPFD_CLOEXEC, 0);
        sp_close(port);
        sp_free_port(port);
        if (fd < 0) throw PortError("connect_failed", fmt::format("serial {}: {}", path, std::strerror(errno)));
        try {
            configure_line(fd, baud, even_parity, speed);
        } catch (...) {
            ::close(fd);
            throw;
        }
        return fd;
    }
    // ptys and socat links: plain termios (Debian's libserialport refuses them).
    const int fd = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) throw PortError("connect_failed", fmt::format("serial {}: {}", path, std::strerror(errno)));
    try {
        configure_line(fd, baud, even_parity, speed);
    } catch (...) {
        ::close(fd);
        throw;
    }
    return fd;
}
}  // namespace

int open_serial(const std::string& path, unsigned baud) { return open_line(path, baud, true); }
int open_serial_8n1(const std::string& path, unsigned baud) { return open_line(path, baud, false); }

}  // namespace metercert::rigs
