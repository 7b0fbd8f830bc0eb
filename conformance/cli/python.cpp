#include "python.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
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

int run_python(const std::vector<std::string>& args) {
    const std::string python = python_interpreter();
    const auto exe = std::filesystem::canonical("/proc/self/exe");
    const std::string pp = (exe.parent_path() / "python").string();
    const pid_t pid = fork();
    if (pid < 0) {
        std::cerr << fmt::format("error: fork: {}\n", std::strerror(errno));
        return 127;
    }
    if (pid == 0) {
        const char* old = std::getenv("PYTHONPATH");
        setenv("PYTHONPATH", old && *old ? (pp + ":" + old).c_str() : pp.c_str(), 1);
        setenv("METERCERT_EXE", exe.c_str(), 1);  // for profiles that start simulators
        std::vector<std::string> full{python};
        full.insert(full.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (auto& a : full) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(python.c_str(), argv.data());
        std::cerr << fmt::format("error: cannot run {}: {}\n", python, std::strerror(errno));
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

}  // namespace metercert::cli
