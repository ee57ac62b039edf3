#include "stop_signal.hpp"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>

namespace lab {
namespace {

volatile std::sig_atomic_t g_signal = 0;
int g_pipe[2] = {-1, -1};

extern "C" void on_stop_signal(int sig)
{
    if (g_signal == 0) {
        g_signal = sig;
    }
    const int saved = errno;
    const char byte = 1;
    (void)!write(g_pipe[1], &byte, 1);  // non-blocking: a full pipe is already readable
    errno = saved;
}

}  // namespace

void install_stop_handlers()
{
    if (g_pipe[0] < 0 && pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        g_pipe[0] = g_pipe[1] = -1;
    }
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR and loops look
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}

int stop_signal()
{
    return g_signal;
}

int stop_fd()
{
    return g_pipe[0];
}

const char* signal_name(int sig)
{
    const char* abbrev = sigabbrev_np(sig);
    static thread_local char buf[32];
    snprintf(buf, sizeof buf, "SIG%s", abbrev != nullptr ? abbrev : "?");
    return buf;
}

}  // namespace lab
