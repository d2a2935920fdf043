#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "CTurnoutSystem.h"

int cturnout_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int cturnout_socket_nonblocking(int domain) {
    return socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

int cturnout_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}


void cturnout_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}
