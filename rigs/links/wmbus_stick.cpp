// wmbus+im871a:// and wmbus+amb8465:// — a wireless M-Bus receiver stick on a serial line (a real
// USB stick through libserialport, or the pseudo-terminal of `metercert simulate cmi1020w
// --dongle …` through termios). Capability: wmbus.receive.
//
//   wmbus+im871a:///dev/ttyUSB0?mode=T1&key=HEX      IMST iM871A / iM170A, 57600 baud 8N1
//   wmbus+amb8465:///dev/ttyUSB0?mode=C1             Amber AMB8465(-M), 9600 baud 8N1
//
// Opening runs the stick's start-up as receiver software does (rigs/include/metercert/rigs/sticks/):
//   iM871A:  PING → GET_DEVICEINFO (module type 0x33 iM871A or 0x36 iM170A) → SET_CONFIG
//            (temporary: link mode, auto RSSI attachment on, RX timestamp off; wmbusmeters' own)
//   AMB8465: CMD_FWV_REQ → CMD_SERIALNO_REQ → CMD_GET_REQ UART_CMD_Out_Enable and RSSI_Enable
//            (how it will send telegrams; nothing is written to its flash) → CMD_SET_MODE_REQ
//            (volatile receive mode)
// Every request waits at most timeout= ms for its answer (PortError stick_silent); a malformed
// frame from the stick is PortError stick_protocol naming the stick's error (bad_crc,
// bad_checksum, bad_sof, unknown_message, reserved_bit, bad_payload) and its byte offset; the
// line closing is PortError port_lost. Telegrams that arrive during the start-up are kept.
//
// receive(timeout) returns each telegram from its L-field without CRCs (the sticks strip them),
// with its arrival time on the link's PowerOnClock (real time since open), RSSI in dBm where the
// stick attaches it, and the mode set; each is tapped (LinkKind::wmbus, from_dut) first.
//
// key=HEX (32 hex digits): the AES key the cases decrypt with; checked, redacted in url() and every
// error message (redact_url), not in the description. The link itself does not decrypt.
#include <cstdlib>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include <fmt/format.h>

#include "metercert/rigs/clock.hpp"
#include "metercert/rigs/sticks/amb8465.hpp"
#include "metercert/rigs/sticks/im871a.hpp"
#include "metercert/rigs/wmbus_receiver.hpp"
#include "metercert/wmbus/key.hpp"
#include "params.hpp"

namespace metercert::rigs::links {
namespace {

namespace im = sticks::im871a;
namespace amb = sticks::amb8465;
using master::PortError;

enum class Stick { im871a, amb8465 };

struct Config {
    Stick stick = Stick::im871a;
    sticks::RadioMode mode = sticks::RadioMode::t1;
    unsigned long timeout_ms = 1000;
};

Config parse(const DutUrl& u, Stick stick) {
    Params p{u};  // its errors name u.shown(): the key redacted
    Config c;
    c.stick = stick;
    const std::string mode = p.str("mode", "T1");
    const auto m = sticks::radio_mode_from_name(mode);
    if (!m) fail(u, fmt::format("mode={} is not T1, C1 or S1", mode));
    c.mode = *m;
    if (p.has("key") && !wmbus::Key::from_hex(u.params.at("key"))) fail(u, "key= must be 32 hex digits (the key is not shown)");
    c.timeout_ms = p.num("timeout", 1000, 50, 60000);
    (void)p.seconds("interval", 0.05, 86400);  // the module's configured interval: the cases', not the link's
    p.check_all_used();
    return c;
}

class StickLink final : public DutLink, public WmbusReceiver {
public:
    StickLink(const DutUrl& u, const LinkOptions& o, const Config& c)
        : DutLink(u.text, o.tap), c_(c), path_(u.target), name_(c.stick == Stick::im871a ? "iM871A" : "AMB8465") {
        set_capabilities({std::string(cap::wmbus_receive)});
        const unsigned baud = c.stick == Stick::im871a ? im::kBaud : amb::kBaud;
        fd_ = open_serial_8n1(path_, baud);
        try {
            tcflush(fd_, TCIOFLUSH);
            std::string who = c.stick == Stick::im871a ? start_im871a() : start_amb8465();
            set_description(fmt::format("{} at {}, {} baud 8N1, receiving {}", who, path_, baud, sticks::radio_mode_name(c.mode)));
        } catch (...) {
            ::close(fd_);
            fd_ = -1;
            throw;
        }
    }
    ~StickLink() override {
        if (fd_ >= 0) ::close(fd_);
    }

    WmbusReceiver* wmbus_receive() override { return this; }
    TimePoint now() override { return clock_.now(); }

    std::optional<ReceivedTelegram> receive(Duration timeout) override {
        const TimePoint deadline = clock_.now() + timeout;
        for (;;) {
            pump();
            responses_.clear();  // answers nobody asked for now (a stick's late or unsolicited ones)
            if (!queue_.empty()) {
                ReceivedTelegram t = finish(queue_.front());
                queue_.pop_front();
                if (tap()) {
                    TapRecord r;
                    r.link = LinkKind::wmbus;
                    r.direction = Direction::from_dut;
                    r.wall_us = queue_wall_us_;
                    r.bytes = t.frame;
                    tap()->record(r);
                }
                return t;
            }
            const TimePoint t = clock_.now();
            if (t >= deadline) return std::nullopt;
            if (!read_more(deadline - t)) return std::nullopt;
        }
    }

    void close() override {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

private:
    // A received telegram as it came: the stick's data bytes (decoded in finish(), once the
    // link knows whether the stick attaches RSSI).
    struct Pending {
        std::vector<std::uint8_t> telegram;  // iM871A: already whole
        std::optional<int> rssi_dbm;
        std::vector<std::uint8_t> amb_payload;  // AMB8465: C-field … [RSSI]
        TimePoint at;
        std::int64_t wall_us = 0;
    };
    struct Response {
        std::uint8_t id = 0;
        std::vector<std::uint8_t> payload;
    };

    ReceivedTelegram finish(const Pending& p) {
        ReceivedTelegram t;
        t.crc = wmbus::CrcFormat::none;
        t.at = p.at;
        t.mode = std::string(sticks::radio_mode_name(c_.mode));
        queue_wall_us_ = p.wall_us;
        if (c_.stick == Stick::im871a) {
            t.frame = p.telegram;
            t.rssi_dbm = p.rssi_dbm;
        } else {
            try {
                auto ind = amb::decode_indication(p.amb_payload, amb_rssi_);
                t.frame = std::move(ind.telegram);
                if (ind.rssi) t.rssi_dbm = amb::rssi_dbm(*ind.rssi);
            } catch (const sticks::StickError& e) {
                protocol_error(e);
            }
        }
        return t;
    }

    [[noreturn]] void protocol_error(const sticks::StickError& e) const {
        throw PortError("stick_protocol", fmt::format("{} at {}: malformed frame from the stick: {}", name_, path_, e.what()));
    }

    void write_all(const std::vector<std::uint8_t>& b) {
        if (fd_ < 0) throw PortError("connection_closed", fmt::format("{} at {}: the link is closed", name_, path_));
        std::size_t off = 0;
        while (off < b.size()) {
            const ssize_t n = ::write(fd_, b.data() + off, b.size() - off);
            if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
                pollfd pf{fd_, POLLOUT, 0};
                ::poll(&pf, 1, 100);
                continue;
            }
            if (n <= 0) throw PortError("port_lost", fmt::format("{} at {}: write: {}", name_, path_, std::strerror(errno)));
            off += static_cast<std::size_t>(n);
        }
    }

    // Reads what arrives within `wait`; false when nothing did.
    bool read_more(Duration wait) {
        if (fd_ < 0) throw PortError("connection_closed", fmt::format("{} at {}: the link is closed", name_, path_));
        pollfd pf{fd_, POLLIN, 0};
        const int ms = static_cast<int>(std::max<Duration::rep>(1, (wait.count() + 999) / 1000));
        const int r = ::poll(&pf, 1, ms);
        if (r < 0 && errno == EINTR) return true;
        if (r <= 0) return false;
        std::uint8_t tmp[512];
        const ssize_t n = ::read(fd_, tmp, sizeof tmp);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) return true;
        if (n <= 0)
            throw PortError("port_lost", fmt::format("{} at {}: the line is gone ({})", name_, path_, n == 0 ? "end of file" : std::strerror(errno)));
        buf_.insert(buf_.end(), tmp, tmp + n);
        last_at_ = clock_.now();
        last_wall_us_ = wall_clock_us();
        return true;
    }

    // Takes every whole frame out of buf_: telegrams into queue_, responses into responses_.
    void pump() {
        for (;;) {
            std::size_t used = 0;
            try {
                if (buf_.empty()) return;
                if (c_.stick == Stick::im871a) {
                    auto f = im::parse(buf_, used);
                    if (!f) return;
                    if (f->endpoint == im::kRadioLink && f->msg == im::kWmbusMsgInd) {
                        Pending p;
                        p.telegram = im::telegram_of_indication(f->payload);
                        if (f->rssi) p.rssi_dbm = im::rssi_dbm(*f->rssi);
                        p.at = last_at_;
                        p.wall_us = last_wall_us_;
                        queue_.push_back(std::move(p));
                    } else if (f->endpoint == im::kDevMgmt) {
                        responses_.push_back({f->msg, std::move(f->payload)});
                    }
                } else if (buf_[0] == amb::kSof) {
                    auto f = amb::parse(buf_, used);
                    if (!f) return;
                    if (f->cmd == amb::kDataInd) {
                        queue_.push_back(Pending{{}, std::nullopt, std::move(f->payload), last_at_, last_wall_us_});
                    } else {
                        responses_.push_back({f->cmd, std::move(f->payload)});
                    }
                } else {
                    // the transparent form (UART_CMD_Out_Enable 0): its length frames it either way
                    const std::size_t len = buf_[0];
                    if (len < 10) (void)amb::parse_transparent(buf_, false, used);  // throws bad_payload
                    if (buf_.size() < len + 1) return;
                    used = len + 1;
                    queue_.push_back(Pending{{}, std::nullopt, {buf_.begin() + 1, buf_.begin() + static_cast<std::ptrdiff_t>(used)},
                                             last_at_, last_wall_us_});
                }
            } catch (const sticks::StickError& e) {
                protocol_error(e);
            }
            buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(used));
        }
    }

    // Sends a request and waits for the response `id` (iM871A: its message ID; AMB8465: the
    // command | 0x80).
    std::vector<std::uint8_t> request(const std::vector<std::uint8_t>& bytes, std::uint8_t id, const char* what) {
        responses_.clear();
        write_all(bytes);
        const TimePoint deadline = clock_.now() + std::chrono::milliseconds(c_.timeout_ms);
        for (;;) {
            pump();
            for (auto it = responses_.begin(); it != responses_.end(); ++it)
                if (it->id == id) {
                    auto p = std::move(it->payload);
                    responses_.erase(it);
                    return p;
                }
            const TimePoint t = clock_.now();
            if (t >= deadline || !read_more(deadline - t)) {
                if (clock_.now() < deadline) continue;
                throw PortError("stick_silent", fmt::format("{} at {}: no answer to {} within {} ms", name_, path_, what, c_.timeout_ms));
            }
        }
    }

    std::vector<std::uint8_t> im_request(std::uint8_t msg, std::vector<std::uint8_t> payload, const char* what) {
        im::Frame f;
        f.endpoint = im::kDevMgmt;
        f.msg = msg;
        f.payload = std::move(payload);
        f.crc = true;
        return request(im::encode(f), static_cast<std::uint8_t>(msg + 1), what);
    }

    std::string start_im871a() {
        (void)im_request(im::kPingReq, {}, "PING");
        const auto p = im_request(im::kGetDeviceInfoReq, {}, "GET_DEVICEINFO");
        im::DeviceInfo d;
        try {
            d = im::decode_device_info(p);
        } catch (const sticks::StickError& e) {
            protocol_error(e);
        }
        if (d.module_type != 0x33 && d.module_type != 0x36)
            throw PortError("stick_protocol", fmt::format("{} at {}: GET_DEVICEINFO names module type 0x{:02X}, not an iM871A (0x33) "
                                                          "or iM170A (0x36)", name_, path_, d.module_type));
        im::Config set;
        set.link_mode = im::link_mode_code(c_.mode);
        set.auto_rssi = 1;
        set.auto_timestamp = 0;
        std::vector<std::uint8_t> payload{0x00};  // temporary: not stored in the stick's NVM
        const auto cfg = im::encode_config(set);
        payload.insert(payload.end(), cfg.begin(), cfg.end());
        const auto st = im_request(im::kSetConfigReq, payload, "SET_CONFIG");
        if (!st.empty() && st[0] != 0)
            throw PortError("stick_protocol", fmt::format("{} at {}: SET_CONFIG refused (status 0x{:02X})", name_, path_, st[0]));
        return fmt::format("{} stick (firmware 0x{:02X}, HCI 0x{:02X}, UID {:08X})", d.module_type == 0x33 ? "iM871A" : "iM170A",
                           d.firmware, d.hci, d.uid);
    }

    std::vector<std::uint8_t> amb_request(std::uint8_t cmd, std::vector<std::uint8_t> payload, const char* what) {
        return request(amb::encode({cmd, std::move(payload)}), static_cast<std::uint8_t>(cmd | amb::kConfirm), what);
    }

    std::uint8_t amb_parameter(std::uint8_t at, const char* what) {
        const auto p = amb_request(amb::kGetReq, {at, 0x01}, what);
        if (p.size() != 3 || p[0] != at || p[1] != 1)
            protocol_error(sticks::StickError("bad_payload", 3, fmt::format("CMD_GET_REQ {:02X} 01 answered with {} bytes", at, p.size())));
        return p[2];
    }

    std::string start_amb8465() {
        const auto fw = amb_request(amb::kFwvReq, {}, "CMD_FWV_REQ");
        const auto sn = amb_request(amb::kSerialNoReq, {}, "CMD_SERIALNO_REQ");
        if (fw.size() != 3 || sn.size() != 4)
            protocol_error(sticks::StickError("bad_payload", 3, "firmware version (3 bytes) or serial number (4 bytes) of another size"));
        const bool cmd_out = amb_parameter(amb::kUartCmdOutEnable, "CMD_GET_REQ UART_CMD_Out_Enable") != 0;
        amb_rssi_ = amb_parameter(amb::kRssiEnable, "CMD_GET_REQ RSSI_Enable") != 0;
        const auto st = amb_request(amb::kSetModeReq, {amb::mode_code(c_.mode)}, "CMD_SET_MODE_REQ");
        if (st.size() != 1 || st[0] != 0)
            throw PortError("stick_protocol", fmt::format("{} at {}: CMD_SET_MODE_REQ refused", name_, path_));
        return fmt::format("AMB8465 stick (firmware {}.{}.{}, serial {:02X}{:02X}{:02X}{:02X}, {} output{})", fw[0], fw[1], fw[2], sn[0],
                           sn[1], sn[2], sn[3], cmd_out ? "command-mode" : "transparent", amb_rssi_ ? ", RSSI" : "");
    }

    Config c_;
    std::string path_;
    std::string name_;
    int fd_ = -1;
    PowerOnClock clock_;
    std::vector<std::uint8_t> buf_;
    std::deque<Pending> queue_;
    std::vector<Response> responses_;
    TimePoint last_at_{};
    std::int64_t last_wall_us_ = 0;
    std::int64_t queue_wall_us_ = 0;
    bool amb_rssi_ = false;
};

const std::vector<LinkParam> kParams = {
    {"mode", "the receive mode: T1 (default), C1 or S1"},
    {"key", "AES-128 key of the meter, 32 hex digits, for the cases to decrypt with (never shown)"},
    {"timeout", "how long a start-up request waits for the stick's answer, ms (default 1000)"},
    {"interval", "the transmission interval the module heard is configured with, s (0.05…86400; the cases measure "
                 "against it; default: the profile's)"}};

LinkScheme scheme(Stick stick) {
    const bool im = stick == Stick::im871a;
    return {
        .name = im ? "wmbus+im871a" : "wmbus+amb8465",
        .form = im ? "wmbus+im871a:///dev/ttyUSB0" : "wmbus+amb8465:///dev/ttyUSB0",
        .summary = im ? "an IMST iM871A/iM170A wireless M-Bus receiver stick (WM-Bus HCI, 57600 baud 8N1; or the pty of simulate cmi1020w --dongle im871a)"
                      : "an Amber AMB8465 wireless M-Bus receiver stick (command mode, 9600 baud 8N1; or the pty of simulate cmi1020w --dongle amb8465)",
        .params = kParams,
        .offers = {std::string(cap::wmbus_receive)},
        .check = [stick](const DutUrl& u) {
            (void)parse(u, stick);
            return std::vector<std::string>{std::string(cap::wmbus_receive)};
        },
        .open = [stick](const DutUrl& u, const LinkOptions& o) -> std::unique_ptr<DutLink> {
            return std::make_unique<StickLink>(u, o, parse(u, stick));
        },
    };
}

const bool registered_im871a = register_link(scheme(Stick::im871a));
const bool registered_amb8465 = register_link(scheme(Stick::amb8465));

}  // namespace
}  // namespace metercert::rigs::links
