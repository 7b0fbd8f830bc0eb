#include "metercert/rigs/simulator_process.hpp"

#include "metercert/rigs/sim_host.hpp"

#include <fcntl.h>
#include <poll.h>
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
    const auto ready = parse_ready_line(line);
    if (!ready) return std::nullopt;
    for (const auto& l : ready->listen)
        if (l.kind == "tcp" && !l.url.empty()) return l.url;
    return std::nullopt;
}

// Reads the child's stderr and stdout on its own thread until both end: stderr lines into
// `lines`; the first stdout line is the readiness line (sim_host.hpp), kept in `ready_json` with
// its address in `url` (or, when it is not one, named in `not_ready`); later stdout is discarded.
// Shared with the thread, which may outlive a failed constructor's unwinding.
struct SimulatorProcess::Reader {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> lines;
    std::optional<std::string> url;
    std::string ready_json;
    std::string not_ready;  // why the first stdout line is not a readiness line
    bool eof = false;
    std::thread thread;

    void add_stderr_line(std::string line) {
        std::lock_guard lock(mutex);
        if (lines.size() < 10000) lines.push_back(std::move(line));  // a bound for a chatty simulator
        changed.notify_all();
    }

    void first_stdout_line(const std::string& line) {
        std::lock_guard lock(mutex);
        if (auto u = ready_address(line)) {
            url = std::move(u);
            ready_json = line;
        } else {
            not_ready = fmt::format("its first stdout line is not a readiness line naming a TCP address: '{}'",
                                    line.substr(0, 200));
        }
        changed.notify_all();
    }

    void run(int err_fd, int out_fd) {
        std::string pending[2];
        bool open[2] = {true, true}, first_out = true;
        const int fds[2] = {err_fd, out_fd};
        char buf[4096];
        while (open[0] || open[1]) {
            pollfd p[2];
            nfds_t n = 0;
            int which[2];
            for (int k = 0; k < 2; ++k)
                if (open[k]) which[n] = k, p[n++] = {fds[k], POLLIN, 0};
            if (::poll(p, n, -1) < 0) {
                if (errno == EINTR) continue;
                break;
            }
            for (nfds_t i = 0; i < n; ++i) {
                if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
                const int k = which[i];
                const ssize_t got = ::read(fds[k], buf, sizeof buf);
                if (got < 0 && errno == EINTR) continue;
                if (got <= 0) {
                    open[k] = false;
                    continue;
                }
                std::string& pend = pending[k];
                if (k == 1 && !first_out) continue;  // stdout after the readiness line: not ours to keep
                pend.append(buf, static_cast<std::size_t>(got));
                std::size_t nl;
                while ((nl = pend.find('\n')) != std::string::npos) {
                    std::string line = pend.substr(0, nl);
                    pend.erase(0, nl + 1);
                    if (k == 0) {
                        add_stderr_line(std::move(line));
                    } else if (first_out) {
                        first_out = false;
                        first_stdout_line(line);
                        pend.clear();
                        break;
                    }
                }
            }
        }
        ::close(err_fd);
        ::close(out_fd);
        std::lock_guard lock(mutex);
        if (!pending[0].empty() && lines.size() < 10000) lines.push_back(pending[0]);
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
    int fds[2], out[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw SimulatorError(fmt::format("simulate {}: pipe: {}", command_.device, std::strerror(errno)));
    if (pipe2(out, O_CLOEXEC) != 0) {
        ::close(fds[0]);
        ::close(fds[1]);
        throw SimulatorError(fmt::format("simulate {}: pipe: {}", command_.device, std::strerror(errno)));
    }
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        for (const int fd : {fds[0], fds[1], out[0], out[1]}) ::close(fd);
        throw SimulatorError(fmt::format("simulate {}: fork: {}", command_.device, std::strerror(errno)));
    }
    if (pid == 0) {  // only async-signal-safe calls from here
        dup2(fds[1], 2);
        dup2(out[1], 1);
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
    ::close(out[1]);
    auto reader = reader_;
    reader_->thread = std::thread([reader, err = fds[0], o = out[0]] { reader->run(err, o); });
    std::unique_lock lock(reader_->mutex);
    const bool ready = reader_->changed.wait_for(lock, std::chrono::duration<double, std::milli>(ready_timeout_ms),
                                                 [&] { return reader_->url || reader_->eof || !reader_->not_ready.empty(); });
    if (reader_->url) {
        url_ = *reader_->url;
        ready_json_ = reader_->ready_json;
        return;
    }
    std::vector<std::string> said = reader_->lines;
    const std::string not_ready = reader_->not_ready;
    if (!not_ready.empty()) said.push_back(not_ready);
    lock.unlock();
    const int status = stop(ready ? 2000 : 0);
    std::vector<std::string> last(said.size() > 3 ? said.end() - 3 : said.begin(), said.end());
    throw SimulatorError(fmt::format("simulate {} {}: {}", command_.device,
                                     !not_ready.empty() ? std::string("did not announce a TCP address")
                                     : ready            ? fmt::format("exited (status {}) before it was ready", status)
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
