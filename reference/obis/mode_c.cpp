#include "metercert/obis/mode_c.hpp"

namespace metercert::obis {

unsigned mode_c_baud(char z) noexcept {
    static constexpr unsigned kBaud[] = {300, 600, 1200, 2400, 4800, 9600, 19200};
    return z >= '0' && z <= '6' ? kBaud[z - '0'] : 0;
}

void ModeCMeter::reset() noexcept {
    state_ = State::wait_request;
    line_.clear();
    pending_.clear();
    offered_ = '0';
}

ModeCMeter::Reply ModeCMeter::feed(std::string_view in) {
    Reply out;
    for (const char c : in) {
        if (c == '/') line_.clear();  // a request starts over, whatever came before
        line_ += c;
        if (line_.size() > 64) line_.erase(0, line_.size() - 64);  // noise without LF: keep the tail
        if (c != '\n') continue;
        std::string msg;
        msg.swap(line_);
        // request: "/?" [address] "!" CR LF
        if (msg.size() >= 5 && msg.rfind("/?", 0) == 0 && msg.ends_with("!\r\n") && msg.size() <= 5 + 32) {
            reset();
            pending_ = answer_();
            const auto eol = pending_.find("\r\n");
            if (pending_.empty() || pending_[0] != '/' || eol == std::string::npos) {
                // a silent meter, or one whose identification never ends: what it sends, and no more
                out = {pending_, 300};
                pending_.clear();
                continue;
            }
            offered_ = eol > 4 ? pending_[4] : '0';  // "/XXXZ…": the baud character
            out = {pending_.substr(0, eol + 2), 300};
            pending_.erase(0, eol + 2);
            state_ = State::wait_option_select;
            continue;
        }
        if (state_ != State::wait_option_select) continue;  // not a request: ignored
        // option select: ACK V Z Y CR LF
        if (msg.size() == 6 && msg[0] == '\x06' && msg[1] == '0' && msg[3] == '0' && msg[4] == '\r' &&
            mode_c_baud(msg[2]) != 0 && msg[2] <= offered_) {
            out = {pending_, mode_c_baud(msg[2])};
            ++readouts_;
        }
        reset();
    }
    return out;
}

}  // namespace metercert::obis
