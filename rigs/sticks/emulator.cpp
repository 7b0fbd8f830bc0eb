#include "metercert/rigs/sticks/emulator.hpp"

#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "metercert/rigs/sticks/amb8465.hpp"
#include "metercert/rigs/sticks/im871a.hpp"

namespace metercert::rigs::sticks {

namespace {

// Feeds a buffer to `parse`; skips a byte on a malformed frame (the real sticks resynchronise on
// their start byte); calls `handle` for each whole frame.
template <class Parse, class Handle>
void drain(std::vector<std::uint8_t>& buf, std::uint64_t& ignored, Parse parse, Handle handle) {
    std::size_t pos = 0;
    while (pos < buf.size()) {
        std::size_t used = 0;
        try {
            auto f = parse(std::span(buf).subspan(pos), used);
            if (!f) break;
            pos += used;
            handle(*f);
        } catch (const StickError&) {
            ++pos, ++ignored;
        }
    }
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(pos));
}

class Im871aEmulator final : public Emulator {
public:
    Im871aEmulator(RadioMode module, std::uint32_t serial) : module_(module), serial_(serial) {
        config_.device_mode = 0;  // "other": a collector
        config_.link_mode = im871a::link_mode_code(module);
        config_.c_field = 0x44;
        config_.manufacturer = 0x25B3;  // IMS
        config_.id = serial;
        config_.version = 0x01;
        config_.device_type = 0x31;  // OMS MUC
        config_.radio_channel = 1;
        config_.power_level = 7;
        config_.data_rate = 0;
        config_.rx_window = 50;
        config_.auto_power_saving = 0;
        config_.auto_rssi = 0;
        config_.auto_timestamp = 0;
        config_.led = 1;
        config_.rtc = 0;
    }

    std::vector<std::uint8_t> on_host_bytes(std::span<const std::uint8_t> bytes) override {
        in_.insert(in_.end(), bytes.begin(), bytes.end());
        std::vector<std::uint8_t> out;
        drain(in_, ignored_, [](auto b, std::size_t& u) { return im871a::parse(b, u); },
              [&](const im871a::Frame& f) {
                  ++commands_;
                  auto r = respond(f);
                  out.insert(out.end(), r.begin(), r.end());
              });
        return out;
    }

    std::vector<std::uint8_t> on_air(std::span<const std::uint8_t> wire, int rssi_dbm) override {
        if (!hears_module()) return {};
        const auto t = strip_format_a(wire);
        if (!t) {
            ++dropped_;
            return {};
        }
        im871a::Frame f;
        f.endpoint = im871a::kRadioLink;
        f.msg = im871a::kWmbusMsgInd;
        f.payload = im871a::indication_payload(*t);
        if (config_.auto_timestamp.value_or(0)) f.timestamp = ticks_++;
        if (config_.auto_rssi.value_or(0)) f.rssi = im871a::rssi_raw(rssi_dbm);
        f.crc = true;
        ++delivered_;
        return im871a::encode(f);
    }

    bool hears_module() const noexcept override { return im871a::radio_mode_of(config_.link_mode.value_or(0xFF)) == module_; }

private:
    std::vector<std::uint8_t> respond(const im871a::Frame& req) {
        im871a::Frame rsp;
        rsp.endpoint = req.endpoint;
        rsp.msg = static_cast<std::uint8_t>(req.msg + 1);
        rsp.crc = req.crc;
        if (req.endpoint != im871a::kDevMgmt) {
            if (req.endpoint == im871a::kRadioLink && (req.msg == im871a::kWmbusMsgReq || req.msg == im871a::kDataReq)) {
                rsp.payload = {0x00};  // sent (nothing is on air for a receiver's own transmissions)
                return im871a::encode(rsp);
            }
            return {};
        }
        switch (req.msg) {
            case im871a::kPingReq: break;
            case im871a::kGetDeviceInfoReq: rsp.payload = im871a::encode_device_info({0x33, 0, 0x15, 0x01, serial_}); break;
            case im871a::kGetConfigReq: rsp.payload = im871a::encode_config(config_); break;
            case im871a::kSetConfigReq: rsp.payload = {set_config(req.payload)}; break;
            case im871a::kResetReq: rsp.payload = {0x00}; break;
            default:
                if (req.msg % 2 == 0) return {};  // a response ID: nothing to answer
                rsp.payload = {0x01};
        }
        return im871a::encode(rsp);
    }

    // SET_CONFIG: NVM byte, then a configuration; status 0 OK, 1 error.
    std::uint8_t set_config(const std::vector<std::uint8_t>& p) {
        if (p.size() < 2) return 0x01;
        im871a::Config c;
        try {
            c = im871a::decode_config(std::span(p).subspan(1));
        } catch (const StickError&) {
            return 0x01;
        }
        auto take = [](auto& dst, const auto& src) {
            if (src) dst = src;
        };
        take(config_.device_mode, c.device_mode);
        take(config_.link_mode, c.link_mode);
        take(config_.c_field, c.c_field);
        take(config_.manufacturer, c.manufacturer);
        take(config_.id, c.id);
        take(config_.version, c.version);
        take(config_.device_type, c.device_type);
        take(config_.radio_channel, c.radio_channel);
        take(config_.power_level, c.power_level);
        take(config_.data_rate, c.data_rate);
        take(config_.rx_window, c.rx_window);
        take(config_.auto_power_saving, c.auto_power_saving);
        take(config_.auto_rssi, c.auto_rssi);
        take(config_.auto_timestamp, c.auto_timestamp);
        take(config_.led, c.led);
        take(config_.rtc, c.rtc);
        return 0x00;
    }

    RadioMode module_;
    std::uint32_t serial_;
    im871a::Config config_;
    std::vector<std::uint8_t> in_;
    std::uint32_t ticks_ = 0;
};

class Amb8465Emulator final : public Emulator {
public:
    Amb8465Emulator(RadioMode module, std::uint32_t serial) : module_(module), serial_(serial) {
        nvm_ = amb8465::factory_parameters();
        nvm_[amb8465::kUartCmdOutEnable] = 1;
        nvm_[amb8465::kRssiEnable] = 1;
        nvm_[amb8465::kModePreselect] = amb8465::mode_code(module);
        reset();
    }

    std::vector<std::uint8_t> on_host_bytes(std::span<const std::uint8_t> bytes) override {
        in_.insert(in_.end(), bytes.begin(), bytes.end());
        std::vector<std::uint8_t> out;
        drain(in_, ignored_, [](auto b, std::size_t& u) { return amb8465::parse(b, u); },
              [&](const amb8465::Frame& f) {
                  ++commands_;
                  auto r = respond(f);
                  out.insert(out.end(), r.begin(), r.end());
              });
        return out;
    }

    std::vector<std::uint8_t> on_air(std::span<const std::uint8_t> wire, int rssi_dbm) override {
        if (!hears_module()) return {};
        const auto t = strip_format_a(wire);
        if (!t) {
            ++dropped_;
            return {};
        }
        const auto p = amb8465::indication_payload(*t, rssi_ ? std::optional(amb8465::rssi_raw(rssi_dbm)) : std::nullopt);
        ++delivered_;
        if (cmd_out_) return amb8465::encode({amb8465::kDataInd, p});
        std::vector<std::uint8_t> b{static_cast<std::uint8_t>(p.size())};
        b.insert(b.end(), p.begin(), p.end());
        return b;
    }

    bool hears_module() const noexcept override { return amb8465::hears(mode_, module_); }

private:
    void reset() {
        ram_ = nvm_;
        cmd_out_ = ram_[amb8465::kUartCmdOutEnable] != 0;
        rssi_ = ram_[amb8465::kRssiEnable] != 0;
        mode_ = ram_[amb8465::kModePreselect];
    }

    std::vector<std::uint8_t> respond(const amb8465::Frame& req) {
        auto cnf = [&](std::vector<std::uint8_t> p) {
            return amb8465::encode({static_cast<std::uint8_t>(req.cmd | amb8465::kConfirm), std::move(p)});
        };
        switch (req.cmd) {
            case amb8465::kSetModeReq:
                if (req.payload.size() != 1) return cnf({0x01});
                mode_ = req.payload[0];
                return cnf({0x00});
            case amb8465::kResetReq: {
                auto r = cnf({0x00});
                reset();
                return r;
            }
            case amb8465::kSetChannelReq:
                if (req.payload.size() != 1) return cnf({0x01});
                return cnf({req.payload[0]});
            case amb8465::kGetReq: {
                if (req.payload.size() != 2) return {};
                const std::size_t a = req.payload[0], n = req.payload[1];
                const std::size_t end = std::min(a + n, nvm_.size());
                std::vector<std::uint8_t> p{static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(a < end ? end - a : 0)};
                if (a < end) p.insert(p.end(), nvm_.begin() + static_cast<std::ptrdiff_t>(a), nvm_.begin() + static_cast<std::ptrdiff_t>(end));
                return cnf(std::move(p));
            }
            case amb8465::kSetReq: {
                if (req.payload.size() < 2) return cnf({0x02});
                const std::size_t a = req.payload[0], n = req.payload[1];
                if (req.payload.size() != n + 2 || a + n > nvm_.size()) return cnf({0x02});
                std::copy(req.payload.begin() + 2, req.payload.end(), nvm_.begin() + static_cast<std::ptrdiff_t>(a));
                return cnf({0x00});
            }
            case amb8465::kSerialNoReq:
                return cnf({static_cast<std::uint8_t>(serial_ >> 24), static_cast<std::uint8_t>(serial_ >> 16),
                            static_cast<std::uint8_t>(serial_ >> 8), static_cast<std::uint8_t>(serial_)});
            case amb8465::kFwvReq: return cnf({0x01, 0x02, 0x03});
            case amb8465::kRssiReq: return cnf({amb8465::rssi_raw(-110)});
            default: return {};  // confirmations, data requests: a receiver does not answer them
        }
    }

    RadioMode module_;
    std::uint32_t serial_;
    std::vector<std::uint8_t> nvm_, ram_;
    std::vector<std::uint8_t> in_;
    bool cmd_out_ = true, rssi_ = true;
    std::uint8_t mode_ = 0;
};

}  // namespace

std::unique_ptr<Emulator> make_emulator(std::string_view kind, RadioMode module_mode, std::uint32_t serial) {
    if (kind == "im871a") return std::make_unique<Im871aEmulator>(module_mode, serial);
    if (kind == "amb8465") return std::make_unique<Amb8465Emulator>(module_mode, serial);
    throw std::invalid_argument(fmt::format("unknown receiver stick '{}' ({})", kind, kStickNames));
}

}  // namespace metercert::rigs::sticks
