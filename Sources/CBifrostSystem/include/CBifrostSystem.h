#ifndef C_BIFROST_SYSTEM_H
#define C_BIFROST_SYSTEM_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

/// accept4 is _GNU_SOURCE-only, so Glibc's module does not export it.
int cbs_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/// Names a thread (pthread_setname_np is _GNU_SOURCE-only); `name` is cut to 15 bytes.
int cbs_set_thread_name(pthread_t thread, const char *name);

/// Reads errno in C, before any Swift retain/release can clobber it.
static inline int cbs_errno(void) { return errno; }

/// epoll_event is packed; these helpers avoid unaligned access from Swift.
static inline uint64_t cbs_epoll_event_data(const struct epoll_event *ev) { return ev->data.u64; }
static inline uint32_t cbs_epoll_event_mask(const struct epoll_event *ev) { return ev->events; }
int cbs_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data);

/// Flag and event constants, as plain integers.
static const uint32_t CBS_EPOLLIN = EPOLLIN;
static const uint32_t CBS_EPOLLOUT = EPOLLOUT;
static const uint32_t CBS_EPOLLERR = EPOLLERR;
static const uint32_t CBS_EPOLLHUP = EPOLLHUP;
static const uint32_t CBS_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t CBS_EPOLLET = EPOLLET;
static const int CBS_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CBS_EPOLL_CTL_MOD = EPOLL_CTL_MOD;
static const int CBS_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
static const int CBS_EPOLL_CLOEXEC = EPOLL_CLOEXEC;
static const int CBS_EFD_NONBLOCK = EFD_NONBLOCK;
static const int CBS_EFD_CLOEXEC = EFD_CLOEXEC;
static const int CBS_SOCK_NONBLOCK = SOCK_NONBLOCK;
static const int CBS_SOCK_CLOEXEC = SOCK_CLOEXEC;
static const int CBS_SOCK_STREAM = SOCK_STREAM;
static const int CBS_IOV_MAX = 1024;

#endif
