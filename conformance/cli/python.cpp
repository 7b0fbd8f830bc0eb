#include "python.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

namespace metercert::cli {

std::string python_interpreter() {
    const char* env = std::getenv("METERCERT_PYTHON");
    return env && *env ? env : "/usr/bin/python3";
}

namespace {

// Terminates what is left of the process group `pgid`: SIGTERM, then SIGKILL after `wait_s`.
void end_group(pid_t pgid, double wait_s) {
    if (kill(-pgid, SIGTERM) != 0) return;  // ESRCH: nothing left
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(wait_s));
    while (std::chrono::steady_clock::now() < until) {
        while (waitpid(-pgid, nullptr, WNOHANG) > 0) {
        }
        if (kill(-pgid, 0) != 0) return;
        usleep(50'000);
    }
    kill(-pgid, SIGKILL);
}

}  // namespace

PythonResult run_python(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env,
                        double grace_s) {
    const std::string python = python_interpreter();
    const auto exe = std::filesystem::canonical("/proc/self/exe");
    const std::string pp = (exe.parent_path() / "python").string();
    // SIGINT/SIGTERM/SIGCHLD are taken synchronously (sigtimedwait) while the child runs.
    sigset_t waited, old;
    sigemptyset(&waited);
    sigaddset(&waited, SIGINT);
    sigaddset(&waited, SIGTERM);
    sigaddset(&waited, SIGCHLD);
    sigprocmask(SIG_BLOCK, &waited, &old);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        sigprocmask(SIG_SETMASK, &old, nullptr);
        std::cerr << fmt::format("error: fork: {}\n", std::strerror(errno));
        return {127, 0};
    }
    if (pid == 0) {
        setpgid(0, 0);                       // its own group: simulators it starts can be found and stopped
        prctl(PR_SET_PDEATHSIG, SIGTERM);    // stops cleanly if `metercert` itself is killed
        if (getppid() != parent) _exit(143);
        sigprocmask(SIG_SETMASK, &old, nullptr);
        const char* prev = std::getenv("PYTHONPATH");
        setenv("PYTHONPATH", prev && *prev ? (pp + ":" + prev).c_str() : pp.c_str(), 1);
        setenv("METERCERT_EXE", exe.c_str(), 1);  // for profiles that start simulators
        for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
        std::vector<std::string> full{python};
        full.insert(full.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : full) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(python.c_str(), argv.data());
        std::cerr << fmt::format("error: cannot run {}: {}\n", python, std::strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);  // also here: no race with a signal before the child's own setpgid
    PythonResult res;
    int status = 0;
    bool done = false;
    std::chrono::steady_clock::time_point deadline{};
    while (!done) {
        const timespec tick{0, 200'000'000};
        siginfo_t info{};
        const int sig = sigtimedwait(&waited, &info, &tick);
        if ((sig == SIGINT || sig == SIGTERM) && res.stop_signal == 0) {
            res.stop_signal = sig;
            kill(pid, sig);  // the plugin records the interruption and stops its simulators
            deadline = std::chrono::steady_clock::now() + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(grace_s));
            std::cerr << fmt::format("\nmetercert: {} received, stopping the run (at most {:.0f} s)…\n",
                                     sig == SIGINT ? "SIGINT" : "SIGTERM", grace_s);
        }
        const pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) done = true;
        if (!done && res.stop_signal && std::chrono::steady_clock::now() > deadline) {
            std::cerr << "metercert: the run did not stop in time; killed\n";
            kill(-pid, SIGKILL);
            waitpid(pid, &status, 0);
            done = true;
        }
    }
    end_group(pid, 5);
    sigprocmask(SIG_SETMASK, &old, nullptr);
    res.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return res;
}

}  // namespace metercert::cli
