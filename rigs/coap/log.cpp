#include "metercert/rigs/coap/log.hpp"

#include <coap3/coap.h>

#include <fcntl.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

namespace metercert::rigs::coap {
namespace {

struct LogState {
    std::mutex m;
    std::vector<std::string> secrets;  // each secret's raw bytes, lower hex, upper hex
    std::function<void(int, std::string_view)> sink;
};

LogState& state() {
    static LogState s;
    return s;
}

std::string scrub_locked(std::string text, const std::vector<std::string>& secrets) {
    for (const std::string& s : secrets) {
        if (s.empty()) continue;
        for (std::size_t at = text.find(s); at != std::string::npos; at = text.find(s, at + 10))
            text.replace(at, s.size(), "<redacted>");
    }
    return text;
}

void handler(coap_log_t level, const char* message) {
    LogState& st = state();
    std::function<void(int, std::string_view)> sink;
    std::string text;
    {
        std::lock_guard lock(st.m);
        text = scrub_locked(message ? message : "", st.secrets);
        sink = st.sink;
    }
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (sink)
        sink(level, text);
    else
        std::fprintf(stderr, "libcoap: %s\n", text.c_str());
}

}  // namespace

void install_log_handler() {
    static std::once_flag once;
    std::call_once(once, [] {
        coap_startup();
        coap_set_log_handler(handler);
        coap_set_log_level(kLogWarning);
        coap_dtls_set_log_level(kLogWarning);
    });
}

void set_log_level(int level) {
    install_log_handler();
    level = std::min(level, kLogInfo);
    coap_set_log_level(level);
    coap_dtls_set_log_level(level);
}

void set_log_sink(std::function<void(int, std::string_view)> sink) {
    install_log_handler();
    std::lock_guard lock(state().m);
    state().sink = std::move(sink);
}

void register_secret(const std::vector<std::uint8_t>& secret) {
    if (secret.empty()) return;
    std::string raw(secret.begin(), secret.end()), lower, upper;
    for (std::uint8_t b : secret) {
        lower += fmt::format("{:02x}", b);
        upper += fmt::format("{:02X}", b);
    }
    std::lock_guard lock(state().m);
    for (std::string* s : {&raw, &lower, &upper})
        if (std::find(state().secrets.begin(), state().secrets.end(), *s) == state().secrets.end())
            state().secrets.push_back(*s);
    // longest first, so a secret containing another is replaced whole
    std::sort(state().secrets.begin(), state().secrets.end(), [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

namespace {
std::mutex keylog_m;
int keylog_fd = -1;

void keylog_line(const SSL*, const char* line) {
    std::lock_guard lock(keylog_m);
    if (keylog_fd < 0 || !line) return;
    std::string l = std::string(line) + "\n";
    if (::write(keylog_fd, l.data(), l.size()) < 0) return;
}
}  // namespace

void set_keylog_file(const std::string& path) {
    std::lock_guard lock(keylog_m);
    if (keylog_fd >= 0) ::close(keylog_fd);
    keylog_fd = -1;
    if (path.empty()) return;
    keylog_fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (keylog_fd < 0) throw std::runtime_error(fmt::format("coap: cannot open the keylog file {}", path));
}

void keylog_hook(void* ssl) {
    {
        std::lock_guard lock(keylog_m);
        if (keylog_fd < 0 || !ssl) return;
    }
    SSL_CTX_set_keylog_callback(SSL_get_SSL_CTX(static_cast<SSL*>(ssl)), keylog_line);
}

std::string scrub(std::string text) {
    std::lock_guard lock(state().m);
    return scrub_locked(std::move(text), state().secrets);
}

}  // namespace metercert::rigs::coap
