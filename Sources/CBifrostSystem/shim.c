#include "CBifrostSystem.h"
#include <stdio.h>

int cbs_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags) {
    return accept4(fd, addr, len, flags);
}

int cbs_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}

int cbs_set_thread_name(pthread_t thread, const char *name) {
    char shortened[16];
    snprintf(shortened, sizeof shortened, "%s", name);
    return pthread_setname_np(thread, shortened);
}
