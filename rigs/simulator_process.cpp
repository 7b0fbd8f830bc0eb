#include "metercert/rigs/simulator_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace metercert::rigs {

std::string default_simulator_executable() {
    if (const char* env = std::getenv("METERCERT_EXE"); env && *env) return env;
    std::error_code ec;
    const auto self = std::filesystem::canonical("/proc/self/exe", ec);
    return ec ? std::string("metercert") : self.string();
}

std::optional<std::string> ready_address(std::string_view line) {
    // "… listening on tcp://…", "… gateway on tcp://… → …", "… Virtual M-Bus on tcp://…; next …"
    static const std::regex on(R"(\bon (tcp://[0-9.]+:[0-9]+))");
    std::match_results<std::string_view::const_iterator> m;
    if (std::regex_search(line.begin(), line.end(), m, on)) return m[1].str();
    return std::nullopt;
}

// Reads the child's stderr on its own thread until EOF: lines into `lines`, the first address
// said into `url`. Shared with the thread, which may outlive a failed constructor's unwinding.
struct SimulatorProcess::Reader {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> lines;
    std::optional<std::string> url;
    bool eof = false;
    std::thread thread;

    void run(int fd) {
        std::string pending;
        char buf[4096];
        for (;;) {
            const ssize_t n = ::read(fd, buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            pending.append(buf, static_cast<std::size_t>(n));
            std::size_t nl;
            while ((nl = pending.find('\n')) != std::string::npos) {
                std::string line = pending.substr(0, nl);
                pending.erase(0, nl + 1);
                std::lock_guard lock(mutex);
                if (!url) url = ready_address(line);
                if (lines.size() < 10000) lines.push_back(std::move(line));  // a bound for a chatty simulator
                changed.notify_all();
            }
        }
        ::close(fd);
        std::lock_guard lock(mutex);
        if (!pending.empty() && lines.size() < 10000) lines.push_back(pending);
        eof = true;
        changed.notify_all();
    }
};

SimulatorProcess::SimulatorProcess(std::string executable, SimulatorCommand command, double ready_timeout_ms)
    : executable_(std::move(executable)), command_(std::move(command)), reader_(std::make_shared<Reader>()) {
    std::vector<std::string> args{executable_, "simulate", command_.device, "--listen", "tcp://127.0.0.1:0"};
    args.insert(args.end(), command_.options.begin(), command_.options.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw SimulatorError(fmt::format("simulate {}: pipe: {}", command_.device, std::strerror(errno)));
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw SimulatorError(fmt::format("simulate {}: fork: {}", command_.device, std::strerror(errno)));
    }
    if (pid == 0) {  // only async-signal-safe calls from here
        dup2(fds[1], 2);
        prctl(PR_SET_PDEATHSIG, SIGTERM);  // stops when the thread that started it ends
        if (getppid() != parent) _exit(143);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, nullptr);  // a caller that waits for signals synchronously blocks them
        execv(argv[0], argv.data());
        const char msg[] = "error: cannot run the metercert executable\n";
        (void)!::write(2, msg, sizeof msg - 1);
        _exit(127);
    }
    pid_ = pid;
    ::close(fds[1]);
    auto reader = reader_;
    reader_->thread = std::thread([reader, fd = fds[0]] { reader->run(fd); });
    std::unique_lock lock(reader_->mutex);
    const bool ready = reader_->changed.wait_for(lock, std::chrono::duration<double, std::milli>(ready_timeout_ms),
                                                 [&] { return reader_->url || reader_->eof; });
    if (reader_->url) {
        url_ = *reader_->url;
        return;
    }
    const std::vector<std::string> said = reader_->lines;
    lock.unlock();
    const int status = stop(ready ? 2000 : 0);
    std::vector<std::string> last(said.size() > 3 ? said.end() - 3 : said.begin(), said.end());
    throw SimulatorError(fmt::format("simulate {} {}: {}", command_.device,
                                     ready ? fmt::format("exited (status {}) before it was ready", status)
                                           : fmt::format("was not ready within {:.0f} s", ready_timeout_ms / 1000),
                                     last.empty() ? std::string("it said nothing") : fmt::format("{}", fmt::join(last, " / "))));
}

SimulatorProcess::~SimulatorProcess() {
    try {
        stop();
    } catch (...) {
    }
}

std::vector<std::string> SimulatorProcess::messages() const {
    std::lock_guard lock(reader_->mutex);
    return reader_->lines;
}

void SimulatorProcess::reap(int status) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

bool SimulatorProcess::running() {
    if (status_ || pid_ < 0) return false;
    int status = 0;
    const pid_t w = waitpid(pid_, &status, WNOHANG);
    if (w == pid_) reap(status);
    else if (w < 0 && errno == ECHILD) status_ = 0;  // reaped elsewhere (a run stopping its children)
    return !status_;
}

int SimulatorProcess::stop(double grace_ms) {
    if (pid_ > 0 && !status_ && running()) {
        kill(pid_, SIGTERM);
        const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double, std::milli>(grace_ms);
        while (running() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        if (running()) {
            kill(pid_, SIGKILL);
            int status = 0;
            if (waitpid(pid_, &status, 0) == pid_) reap(status);
            else status_ = 128 + SIGKILL;
        }
    }
    if (reader_ && reader_->thread.joinable()) reader_->thread.join();  // EOF once the child is gone
    return status_.value_or(0);
}

}  // namespace metercert::rigs
