// The few Linux system interfaces that Glibc's Swift overlay does not export.
#ifndef C_TURNOUT_SYSTEM_H
#define C_TURNOUT_SYSTEM_H

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>

/// `accept4` with non-blocking and close-on-exec flags, so Swift need not know the flag spellings.
int cturnout_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len);

/// Creates a non-blocking, close-on-exec TCP socket.
int cturnout_socket_nonblocking(int domain);

/// `pipe2` with close-on-exec on both ends (Glibc exports `pipe2` only under _GNU_SOURCE).
int cturnout_pipe_cloexec(int fds[2]);

/// Makes standard output line-buffered (`stdout` is a C global Swift 6 will not touch).
void cturnout_line_buffer_stdout(void);


#endif
